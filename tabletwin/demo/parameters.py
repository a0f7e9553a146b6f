"""The demo bank's fixed parameters: its calendar, cities and area codes, name and e-mail pools,
street names, products, merchant categories and the probabilities the generators draw with.

Plain data, no randomness: :mod:`tabletwin.demo.bank` draws from these with a seeded generator.
"""

from __future__ import annotations

import numpy as np

AGE_REFERENCE = np.datetime64("2026-01-01")  # ages 18-90 are as of this day
YOUNGEST_DOB = np.datetime64("2008-01-01")  # 18 on AGE_REFERENCE
OLDEST_DOB = np.datetime64("1935-01-02")  # 90 on AGE_REFERENCE
SIGNUP_FIRST = np.datetime64("2015-01-01")
SIGNUP_LAST = np.datetime64("2026-06-30")
TODAY = np.datetime64("2026-10-31")  # last day anything happens

# (city, state, weight ~ population in 100k, area codes serving the city)
CITIES: tuple[tuple[str, str, float, tuple[int, ...]], ...] = (
    ("New York", "NY", 88.0, (212, 718, 917, 646, 347)),
    ("Los Angeles", "CA", 39.0, (213, 310, 323, 818)),
    ("Chicago", "IL", 27.0, (312, 773, 872)),
    ("Houston", "TX", 23.0, (713, 281, 832)),
    ("Phoenix", "AZ", 16.0, (602, 480, 623)),
    ("Philadelphia", "PA", 16.0, (215, 267)),
    ("San Antonio", "TX", 14.5, (210,)),
    ("San Diego", "CA", 13.9, (619, 858)),
    ("Dallas", "TX", 13.0, (214, 469, 972)),
    ("San Jose", "CA", 10.0, (408, 669)),
    ("Austin", "TX", 9.7, (512, 737)),
    ("Jacksonville", "FL", 9.5, (904,)),
    ("Fort Worth", "TX", 9.4, (817, 682)),
    ("Columbus", "OH", 9.0, (614, 380)),
    ("Charlotte", "NC", 8.8, (704, 980)),
    ("Indianapolis", "IN", 8.8, (317,)),
    ("San Francisco", "CA", 8.1, (415, 628)),
    ("Seattle", "WA", 7.5, (206,)),
    ("Denver", "CO", 7.2, (303, 720)),
    ("Washington", "DC", 6.8, (202,)),
    ("Nashville", "TN", 6.8, (615, 629)),
    ("Oklahoma City", "OK", 6.9, (405,)),
    ("El Paso", "TX", 6.8, (915,)),
    ("Boston", "MA", 6.5, (617, 857)),
    ("Portland", "OR", 6.3, (503, 971)),
    ("Las Vegas", "NV", 6.6, (702, 725)),
    ("Detroit", "MI", 6.2, (313,)),
    ("Memphis", "TN", 6.2, (901,)),
    ("Louisville", "KY", 6.2, (502,)),
    ("Baltimore", "MD", 5.7, (410, 443)),
    ("Milwaukee", "WI", 5.6, (414,)),
    ("Albuquerque", "NM", 5.6, (505,)),
    ("Tucson", "AZ", 5.4, (520,)),
    ("Fresno", "CA", 5.4, (559,)),
    ("Sacramento", "CA", 5.3, (916,)),
    ("Kansas City", "MO", 5.1, (816,)),
    ("Mesa", "AZ", 5.1, (480,)),
    ("Atlanta", "GA", 5.0, (404, 470, 678)),
    ("Omaha", "NE", 4.9, (402,)),
    ("Colorado Springs", "CO", 4.9, (719,)),
    ("Raleigh", "NC", 4.7, (919, 984)),
    ("Miami", "FL", 4.5, (305, 786)),
    ("Minneapolis", "MN", 4.3, (612,)),
    ("Tulsa", "OK", 4.1, (918,)),
    ("Cleveland", "OH", 3.7, (216,)),
    ("Wichita", "KS", 4.0, (316,)),
    ("New Orleans", "LA", 3.8, (504,)),
    ("Tampa", "FL", 4.0, (813,)),
    ("Pittsburgh", "PA", 3.0, (412,)),
    ("Cincinnati", "OH", 3.1, (513,)),
    ("St. Louis", "MO", 2.9, (314,)),
    ("Orlando", "FL", 3.1, (407, 321)),
    ("Salt Lake City", "UT", 2.0, (801, 385)),
    ("Buffalo", "NY", 2.8, (716,)),
    ("Richmond", "VA", 2.3, (804,)),
    ("Boise", "ID", 2.4, (208,)),
    ("Des Moines", "IA", 2.1, (515,)),
    ("Birmingham", "AL", 2.0, (205,)),
    ("Anchorage", "AK", 2.9, (907,)),
    ("Honolulu", "HI", 3.4, (808,)),
    ("Hartford", "CT", 1.2, (860,)),
    ("Providence", "RI", 1.9, (401,)),
    ("Spokane", "WA", 2.3, (509,)),
    ("Madison", "WI", 2.7, (608,)),
    ("Charleston", "SC", 1.5, (843,)),
    ("Little Rock", "AR", 2.0, (501,)),
    ("Newark", "NJ", 3.1, (973, 862)),
)
CITY_NAMES = np.array([c[0] for c in CITIES], dtype=object)
CITY_STATES = np.array([c[1] for c in CITIES], dtype=object)
CITY_P = np.array([c[2] for c in CITIES]) / sum(c[2] for c in CITIES)
AREA_CODES = np.array([code for c in CITIES for code in c[3]])
AREA_CODE_COUNT = np.array([len(c[3]) for c in CITIES])
AREA_CODE_START = np.cumsum(AREA_CODE_COUNT) - AREA_CODE_COUNT
# Central-office codes 200-999 except N11 service codes and the fictional 555.
EXCHANGES = np.array([e for e in range(200, 1000) if e % 100 != 11 and e != 555])
PHONE_FORMATS = ("({a}) {e}-{s:04d}", "{a}-{e}-{s:04d}", "+1 {a} {e} {s:04d}", "{a}.{e}.{s:04d}")
PHONE_FORMAT_P = (0.35, 0.35, 0.15, 0.15)

# A few accented names (with the weight of a mid-frequency name) exercise unicode handling.
EXTRA_MALE = {"José": 0.004, "André": 0.002, "Raúl": 0.0015, "Björn": 0.0005}
EXTRA_FEMALE = {"Zoë": 0.002, "Renée": 0.002, "Chloé": 0.0015, "Inés": 0.001}
EXTRA_LAST = {"García": 0.004, "Muñoz": 0.002, "Peña": 0.0015, "Núñez": 0.001, "Schäfer": 0.0005}
MIDDLE_INITIALS = np.array(list("ABCDEFGHJKLMNPRSTW"), dtype=object)

STREET_NAMES = (
    "Maple", "Oak", "Pine", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park", "Main", "Church",
    "Walnut", "Sunset", "Highland", "Jefferson", "Lincoln", "Madison", "Franklin", "Jackson",
    "Willow", "Cherry", "Spring", "Meadow", "River", "Forest", "Ridge", "Valley", "Chestnut",
    "Hickory", "Birch", "1st", "2nd", "3rd", "4th", "5th", "Center", "Mill", "Broad", "Market",
    "Adams", "Lakeview", "Dogwood", "Magnolia",
)
STREET_SUFFIXES = ("St", "Ave", "Rd", "Dr", "Ln", "Blvd", "Ct", "Way", "Pl", "Ter", "Cir", "Pkwy")
STREET_SUFFIX_P = (0.24, 0.2, 0.14, 0.12, 0.08, 0.05, 0.05, 0.04, 0.03, 0.02, 0.02, 0.01)

EMAIL_DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "aol.com",
                  "comcast.net", "example.com", "example.org", "example.net")
EMAIL_DOMAIN_P = (0.38, 0.13, 0.1, 0.08, 0.09, 0.03, 0.03, 0.08, 0.04, 0.04)
EMAIL_PATTERNS = ("{f}.{l}", "{f}{l}", "{f}_{l}", "{i}{l}", "{l}.{f}")
EMAIL_PATTERN_P = (0.45, 0.15, 0.1, 0.2, 0.1)

SEGMENTS = ("mass", "affluent", "private", "student")
ACCOUNT_TYPES = ("checking", "savings", "credit_card", "mortgage")
CHANNELS = ("pos", "online", "atm", "mobile")
TICKET_CATEGORIES = ("card", "login", "fees", "fraud", "address_change", "other")

# Accounts per customer (0..4) by segment, and account type mix by segment (rows follow SEGMENTS).
ACCOUNT_COUNT_P = np.array([
    [0.09, 0.47, 0.29, 0.11, 0.04],
    [0.04, 0.30, 0.36, 0.20, 0.10],
    [0.02, 0.20, 0.35, 0.25, 0.18],
    [0.12, 0.60, 0.23, 0.05, 0.00],
])
ACCOUNT_TYPE_P = np.array([
    [0.45, 0.25, 0.25, 0.05],
    [0.33, 0.25, 0.25, 0.17],
    [0.30, 0.28, 0.20, 0.22],
    [0.60, 0.25, 0.15, 0.00],
])

# merchant category: (median amount, lognormal sigma)
MERCHANTS: dict[str, tuple[float, float]] = {
    "grocery": (55.0, 0.6), "restaurants": (35.0, 0.6), "gas": (45.0, 0.35),
    "online_retail": (60.0, 0.9), "travel": (350.0, 0.9), "electronics": (250.0, 0.9),
    "utilities": (120.0, 0.5), "atm": (100.0, 0.0), "pharmacy": (25.0, 0.7),
    "entertainment": (40.0, 0.8), "clothing": (75.0, 0.7), "transfer": (400.0, 1.0),
}
MERCHANT_CATEGORIES = tuple(MERCHANTS)
ATM_AMOUNTS = np.array([20.0, 40.0, 60.0, 80.0, 100.0, 200.0, 300.0, 500.0])
ATM_AMOUNT_P = np.array([0.12, 0.2, 0.16, 0.1, 0.2, 0.12, 0.06, 0.04])
# Relative transaction activity by account type (cards busy, savings rare, mortgages monthly).
ACTIVITY_BY_TYPE = np.array([1.0, 0.08, 1.3, 0.04])
# Merchant category mix by account type (rows follow ACCOUNT_TYPES, columns MERCHANT_CATEGORIES).
MERCHANT_P = np.array([
    [0.20, 0.14, 0.10, 0.10, 0.02, 0.02, 0.08, 0.12, 0.05, 0.05, 0.04, 0.08],
    [0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.10, 0.00, 0.00, 0.00, 0.90],
    [0.15, 0.18, 0.10, 0.18, 0.08, 0.06, 0.04, 0.01, 0.04, 0.08, 0.08, 0.00],
    [0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 1.00],
])
# Channel mix (columns follow CHANNELS) by merchant category.
CHANNEL_P = np.array([
    [0.85, 0.00, 0.00, 0.15],  # grocery
    [0.85, 0.00, 0.00, 0.15],  # restaurants
    [0.90, 0.00, 0.00, 0.10],  # gas
    [0.00, 0.65, 0.00, 0.35],  # online_retail
    [0.25, 0.55, 0.00, 0.20],  # travel
    [0.50, 0.35, 0.00, 0.15],  # electronics
    [0.10, 0.60, 0.00, 0.30],  # utilities
    [0.00, 0.00, 1.00, 0.00],  # atm
    [0.85, 0.00, 0.00, 0.15],  # pharmacy
    [0.60, 0.25, 0.00, 0.15],  # entertainment
    [0.80, 0.05, 0.00, 0.15],  # clothing
    [0.00, 0.50, 0.00, 0.50],  # transfer
])
HOUR_WEIGHTS = np.array([1.2, 0.8, 0.5, 0.4, 0.4, 0.6, 1.5, 3.0, 4.5, 5.0, 5.5, 6.5,
                          7.5, 7.0, 6.0, 5.8, 6.0, 6.8, 7.2, 6.5, 5.2, 4.0, 3.0, 2.0])
FRAUD_RATE = 0.005

TICKET_CATEGORY_P = (0.25, 0.22, 0.15, 0.12, 0.10, 0.16)
PII_NOTE_SHARE = 0.4
# category -> (templates quoting the customer's name/email/phone, templates without personal data)
NOTE_TEMPLATES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "card": (
        ("Customer {name} called about a blocked card; callback at {phone}.",
         "Replacement card requested by {name}; confirmation sent to {email}."),
        ("Card declined abroad; travel notice added and card unblocked.",
         "Contactless payments not working; new card ordered, arrives in {days} business days."),
    ),
    "login": (
        ("Password reset link sent to {email} after {name} was locked out.",
         "Customer could not receive 2FA codes at {phone}; verified identity and updated the device."),
        ("Reset password link sent; issue resolved on first contact.",
         "App crashed on login after the update; advised a reinstall, works now."),
    ),
    "fees": (
        ("{name} disputes a ${fee} overdraft fee; refund approved as a one-time courtesy.",),
        ("Explained the monthly maintenance fee and how to waive it with direct deposit.",
         "Refunded a ${fee} foreign transaction fee charged in error.",
         "Customer asked about ATM fee reimbursement; policy explained."),
    ),
    "fraud": (
        ("{name} reported {count} unrecognized card transactions; card cancelled, claim opened.",
         "Suspicious login alert sent to {email}; customer confirmed it was not them.",
         "Fraud team called {phone} to verify a large online purchase."),
        ("Phishing text reported; no credentials shared, no further action needed.",
         "Dispute filed for a duplicate merchant charge; provisional credit issued."),
    ),
    "address_change": (
        ("{name} moved; mailing address updated and confirmation emailed to {email}.",
         "Address change requested by phone from {phone}; verification code sent."),
        ("Address updated via secure message; proof of residence on file.",
         "Returned mail received; account flagged until the address is confirmed."),
    ),
    "other": (
        ("{name} asked for a copy of last year's tax forms; sent to {email}.",
         "Customer {name} requested a callback at {phone} about mortgage rates."),
        ("General question about branch opening hours; answered.",
         "Customer asked how to set up direct deposit; instructions provided.",
         "Feedback about the new mobile app layout logged for the product team."),
    ),
}
