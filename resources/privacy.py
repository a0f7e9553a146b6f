"""Privacy settings: the pseudonymization key, from the environment only."""


from dagster import ConfigurableResource


class PrivacyResource(ConfigurableResource):
    """``pseudonym_key`` comes from ``EnvVar("TABLETWIN_PSEUDONYM_KEY")``: never from a file in
    the repository. Keyed pseudonyms (HMAC) are stable across tables and days under one key."""

    pseudonym_key: str

    def key_bytes(self) -> bytes:
        return self.pseudonym_key.encode("utf-8")
