//! What a live database can hold and the schema model cannot, reported instead of
//! dropped: each report names the object, the feature, PostgreSQL's own definition of
//! the object where it has one, and whether the object is in the schema without the
//! feature or left out of it.

use std::fmt;

/// A feature of a live object that the model has no field for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Feature {
    /// A partitioned table: its partition key and its partitions.
    PartitionedTable,
    /// A table that inherits from another (`INHERITS`).
    Inheritance,
    /// An `UNLOGGED` table.
    Unlogged,
    /// A typed table (`CREATE TABLE ... OF type`).
    TypedTable,
    /// A column with a collation other than its type's default.
    ColumnCollation,
    /// A column whose default takes values from a sequence it owns (`serial`).
    SerialSequence,
    /// A column type that schema.toml cannot write (`interval day`, a type with
    /// non-integer modifiers).
    UnreadableType,
    /// A virtual generated column (PostgreSQL 18); the model's are stored.
    VirtualGenerated,
    /// An index key with `DESC`, `NULLS FIRST/LAST`, an operator class or a collation.
    IndexKeyOptions,
    /// An index access method schema.toml does not know (from an extension).
    IndexMethod,
    /// A unique index or constraint with `NULLS NOT DISTINCT`.
    NullsNotDistinct,
    /// A primary key or unique constraint with `INCLUDE` columns.
    ConstraintInclude,
    /// A deferrable primary key or unique constraint.
    DeferrableKey,
    /// An exclusion constraint.
    Exclusion,
    /// A foreign key with `MATCH FULL`.
    MatchFull,
    /// A foreign key action on some columns only (`ON DELETE SET NULL (col)`).
    ActionColumns,
    /// A foreign key to a table that is not read (an extension's, a partition).
    ReferenceOutside,
    /// A `CHECK ... NO INHERIT` constraint.
    NoInherit,
    /// A `NOT ENFORCED` constraint (PostgreSQL 18).
    NotEnforced,
    /// A constraint `WITHOUT OVERLAPS` or with `PERIOD` (PostgreSQL 18).
    Temporal,
    /// An enum type without values (schema.toml requires at least one).
    EmptyEnum,
}

/// What became of an object with an unsupported feature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Treatment {
    /// The object is in the schema, without the feature.
    ReadWithout,
    /// The object is not in the schema (a plan neither changes nor drops it).
    LeftOut,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Unsupported {
    /// The object, as messages name it: `index public.users_email_idx`.
    pub object: String,
    pub feature: Feature,
    /// PostgreSQL's definition of the object, where it prints one.
    pub definition: Option<String>,
    pub treatment: Treatment,
}

impl Feature {
    /// What the live object has, in a few words.
    pub fn describe(self) -> &'static str {
        match self {
            Feature::PartitionedTable => "is partitioned; the partition key and the partitions are not in schema.toml",
            Feature::Inheritance => "inherits from another table; inherited columns and constraints are read as its own",
            Feature::Unlogged => "is UNLOGGED",
            Feature::TypedTable => "is a typed table (OF type)",
            Feature::ColumnCollation => "has its own collation",
            Feature::SerialSequence => "takes its default from a sequence it owns (serial); the sequence is not in schema.toml",
            Feature::UnreadableType => "has a type schema.toml cannot write",
            Feature::VirtualGenerated => "is a virtual generated column; schema.toml's generated columns are stored",
            Feature::IndexKeyOptions => "has key options (DESC, NULLS FIRST/LAST, an operator class or a collation)",
            Feature::IndexMethod => "uses an access method schema.toml does not know",
            Feature::NullsNotDistinct => "treats NULLs as equal (NULLS NOT DISTINCT)",
            Feature::ConstraintInclude => "has INCLUDE columns",
            Feature::DeferrableKey => "is deferrable",
            Feature::Exclusion => "is an exclusion constraint",
            Feature::MatchFull => "is MATCH FULL",
            Feature::ActionColumns => "sets only some columns on delete",
            Feature::ReferenceOutside => "references a table that is not read (an extension's, or a partition)",
            Feature::NoInherit => "is NO INHERIT",
            Feature::NotEnforced => "is NOT ENFORCED",
            Feature::Temporal => "is temporal (WITHOUT OVERLAPS or PERIOD)",
            Feature::EmptyEnum => "has no values",
        }
    }
}

impl fmt::Display for Treatment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Treatment::ReadWithout => "read without it",
            Treatment::LeftOut => "left out of the schema",
        })
    }
}

impl fmt::Display for Unsupported {
    /// `index public.i: has key options (...); read without it: CREATE INDEX ...`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}; {}", self.object, self.feature.describe(), self.treatment)?;
        if let Some(definition) = &self.definition {
            write!(f, ": {definition}")?;
        }
        Ok(())
    }
}
