"""Migration operations for search: the text search configuration and stored search vectors.

Both act on PostgreSQL only; other databases search with folded substrings (search.backend)
and need nothing. A stored vector is a generated column (`GENERATED ALWAYS AS … STORED`) that
the ORM does not declare: PostgreSQL keeps it up to date on every write, and no query of the
owning app ever loads it (a model field would be fetched by every feed and list). Beware: while
it exists, PostgreSQL refuses to change the type of a column it reads (a CharField's
max_length): drop the vector first (reverse the migration that added it), then add it back.
"""

from django.db.migrations.operations.base import Operation

CONFIG = "french_unaccent"
WEIGHTS = ("A", "B", "C", "D")


def document_sql(fields: list[tuple[str, str]], prefix: str = "") -> str:
    """The weighted tsvector of some columns, as SQL (column names are trusted constants)."""
    parts = []
    for column, weight in fields:
        if weight not in WEIGHTS or not column.replace("_", "").isalnum():
            raise ValueError(f"bad search column {column!r} or weight {weight!r}")
        parts.append(
            f"setweight(to_tsvector('{CONFIG}'::regconfig, COALESCE({prefix}\"{column}\", '')), "
            f"'{weight}')"
        )
    return " || ".join(parts)


class _PostgresOnly(Operation):
    reduces_to_sql = True
    reversible = True

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            for sql in self.forwards_sql():
                schema_editor.execute(sql)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            for sql in self.backwards_sql():
                schema_editor.execute(sql)


class CreateTextSearchConfiguration(_PostgresOnly):
    """`french_unaccent`: French stemming over unaccented words. PostgreSQL's `french` maps
    words with digits (numword: « A26 », « zône2 ») to `simple`, which keeps accents: they go
    through `unaccent` too here."""

    def forwards_sql(self) -> list[str]:
        return [
            "CREATE EXTENSION IF NOT EXISTS unaccent",
            f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {CONFIG}",
            f"CREATE TEXT SEARCH CONFIGURATION {CONFIG} (COPY = french)",
            f"ALTER TEXT SEARCH CONFIGURATION {CONFIG} "
            "ALTER MAPPING FOR word, hword, hword_part WITH unaccent, french_stem",
            f"ALTER TEXT SEARCH CONFIGURATION {CONFIG} "
            "ALTER MAPPING FOR numword, numhword, hword_numpart WITH unaccent, simple",
        ]

    def backwards_sql(self) -> list[str]:
        # The extension stays: something else may use unaccent().
        return [f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {CONFIG}"]

    def describe(self) -> str:
        return f"Create the {CONFIG} text search configuration (PostgreSQL)"

    def deconstruct(self):
        return (self.__class__.__qualname__, [], {})


class AddSearchVector(_PostgresOnly):
    """A stored `search_vector` column on `table`, generated from `fields` (column, weight),
    with its GIN index."""

    def __init__(self, table: str, fields: list[tuple[str, str]], index: str):
        self.table, self.fields, self.index = table, [tuple(f) for f in fields], index
        document_sql(self.fields)  # refuses bad names now rather than at migrate time

    def forwards_sql(self) -> list[str]:
        return [
            f'ALTER TABLE "{self.table}" ADD COLUMN search_vector tsvector '
            f"GENERATED ALWAYS AS ({document_sql(self.fields)}) STORED",
            f'CREATE INDEX "{self.index}" ON "{self.table}" USING gin (search_vector)',
        ]

    def backwards_sql(self) -> list[str]:
        return [
            f'DROP INDEX IF EXISTS "{self.index}"',
            f'ALTER TABLE "{self.table}" DROP COLUMN IF EXISTS search_vector',
        ]

    def describe(self) -> str:
        return f"Add a stored search vector to {self.table} (PostgreSQL)"

    def deconstruct(self):
        return (
            self.__class__.__qualname__,
            [],
            {"table": self.table, "fields": self.fields, "index": self.index},
        )


class AddSearchIndex(_PostgresOnly):
    """A GIN index on a computed document of `table` (tables another app owns the migrations
    of): queries match it by computing the same expression (search.backend.SearchDocument)."""

    def __init__(self, table: str, fields: list[tuple[str, str]], index: str):
        self.table, self.fields, self.index = table, [tuple(f) for f in fields], index
        document_sql(self.fields)

    def forwards_sql(self) -> list[str]:
        return [
            f'CREATE INDEX IF NOT EXISTS "{self.index}" ON "{self.table}" '
            f"USING gin (({document_sql(self.fields)}))"
        ]

    def backwards_sql(self) -> list[str]:
        return [f'DROP INDEX IF EXISTS "{self.index}"']

    def describe(self) -> str:
        return f"Add a full-text GIN index on {self.table} (PostgreSQL)"

    def deconstruct(self):
        return (
            self.__class__.__qualname__,
            [],
            {"table": self.table, "fields": self.fields, "index": self.index},
        )


class AddIndexSQL(Operation):
    """A plain index the owning model does not declare (any database)."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, table: str, columns: str, index: str):
        self.table, self.columns, self.index = table, columns, index

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{self.index}" ON "{self.table}" ({self.columns})'
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        schema_editor.execute(f'DROP INDEX IF EXISTS "{self.index}"')

    def describe(self) -> str:
        return f"Add index {self.index} on {self.table}"

    def deconstruct(self):
        return (
            self.__class__.__qualname__,
            [],
            {"table": self.table, "columns": self.columns, "index": self.index},
        )
