"""Migration operations for search: the text search configuration, stored search vectors, and
indexes on big tables built and dropped without locking their writes.

The first two act on PostgreSQL only; other databases search with folded substrings (search.backend)
and need nothing. A stored vector is a generated column (`GENERATED ALWAYS AS … STORED`) that
the ORM does not declare: PostgreSQL keeps it up to date on every write, and no query of the
owning app ever loads it (a model field would be fetched by every feed and list). Beware: while
it exists, PostgreSQL refuses to change the type of a column it reads (a CharField's
max_length): drop the vector first (reverse the migration that added it), then add it back.
"""

from django.contrib.postgres import operations as postgres_operations
from django.db.migrations.operations import AddIndex, RemoveIndex
from django.db.migrations.operations.base import Operation

CONFIG = "french_unaccent"
WEIGHTS = ("A", "B", "C", "D")


def document_sql(
    fields: list[tuple[str, str]], prefix: str = "", vectors: tuple[str, ...] = ()
) -> str:
    """The weighted tsvector of some columns, as SQL (column names are trusted constants),
    followed by `vectors`: tsvector columns already weighted (AddVectorColumn)."""
    parts = []
    for column, weight in fields:
        if weight not in WEIGHTS or not column.replace("_", "").isalnum():
            raise ValueError(f"bad search column {column!r} or weight {weight!r}")
        parts.append(
            f"setweight(to_tsvector('{CONFIG}'::regconfig, COALESCE({prefix}\"{column}\", '')), "
            f"'{weight}')"
        )
    for column in vectors:
        if not column.replace("_", "").isalnum():
            raise ValueError(f"bad vector column {column!r}")
        parts.append(f"COALESCE({prefix}\"{column}\", ''::tsvector)")
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
    """A stored `search_vector` column on `table`, generated from `fields` (column, weight)
    and `vectors` (tsvector columns of the same row, see AddVectorColumn), with its GIN index.
    """

    def __init__(
        self,
        table: str,
        fields: list[tuple[str, str]],
        index: str,
        vectors: list[str] | tuple[str, ...] = (),
    ):
        self.table, self.fields, self.index = table, [tuple(f) for f in fields], index
        self.vectors = tuple(vectors)
        document_sql(self.fields, vectors=self.vectors)  # refuses bad names now

    def forwards_sql(self) -> list[str]:
        document = document_sql(self.fields, vectors=self.vectors)
        return [
            f'ALTER TABLE "{self.table}" ADD COLUMN search_vector tsvector '
            f"GENERATED ALWAYS AS ({document}) STORED",
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
        kwargs = {"table": self.table, "fields": self.fields, "index": self.index}
        if self.vectors:
            kwargs["vectors"] = list(self.vectors)
        return (self.__class__.__qualname__, [], kwargs)


class RemoveSearchVector(AddSearchVector):
    """The reverse of AddSearchVector (same arguments): to change what a vector reads, remove
    it with its old arguments, then add it with the new ones."""

    def forwards_sql(self) -> list[str]:
        return super().backwards_sql()

    def backwards_sql(self) -> list[str]:
        return super().forwards_sql()

    def describe(self) -> str:
        return f"Remove the stored search vector of {self.table} (PostgreSQL)"


class AddVectorColumn(_PostgresOnly):
    """A plain tsvector column the ORM does not declare, written by the owning app through
    search.backend.write_vector and read by the row's stored search vector: text too long
    to load with every row (the text found inside a file) lives elsewhere, its vector here.
    """

    def __init__(self, table: str, column: str):
        if not (table + column).replace("_", "").isalnum():
            raise ValueError(f"bad vector column {table}.{column}")
        self.table, self.column = table, column

    def forwards_sql(self) -> list[str]:
        return [f'ALTER TABLE "{self.table}" ADD COLUMN "{self.column}" tsvector']

    def backwards_sql(self) -> list[str]:
        return [f'ALTER TABLE "{self.table}" DROP COLUMN IF EXISTS "{self.column}"']

    def describe(self) -> str:
        return f"Add the tsvector column {self.table}.{self.column} (PostgreSQL)"

    def deconstruct(self):
        return (self.__class__.__qualname__, [], {"table": self.table, "column": self.column})


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


class AddIndexConcurrently(postgres_operations.AddIndexConcurrently):
    """CREATE INDEX CONCURRENTLY on PostgreSQL: writes to a big table go on while its index is
    built (the migration must say `atomic = False`); a plain CREATE INDEX elsewhere (SQLite)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class RemoveIndexConcurrently(postgres_operations.RemoveIndexConcurrently):
    """DROP INDEX CONCURRENTLY on PostgreSQL (no lock on the table's writes; `atomic = False`),
    a plain DROP INDEX elsewhere (SQLite)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            RemoveIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            RemoveIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)
