//! Schemas, their canonical hash, and the diff between two versions.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::data_type::DataType;

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    #[serde(rename = "type")]
    pub data_type: DataType,
    pub nullable: bool,
    /// Human text; not part of the schema hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Field {
    pub fn new(name: impl Into<String>, data_type: DataType, nullable: bool) -> Self {
        Field {
            name: name.into(),
            data_type,
            nullable,
            description: None,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    pub fields: Vec<Field>,
}

impl Schema {
    pub fn new(fields: Vec<Field>) -> Self {
        Schema { fields }
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The canonical text the hash covers: one line per column with its name,
    /// type and nullability, in column order. Descriptions and JSON formatting
    /// do not count; names, order, types and nullability do.
    pub fn canonical(&self) -> String {
        let mut out = String::new();
        for f in &self.fields {
            // Names are JSON-quoted so a tab or newline inside one cannot forge another line.
            out.push_str(&serde_json::to_string(&f.name).expect("a string serializes"));
            out.push('\t');
            out.push_str(&f.data_type.to_string());
            out.push('\t');
            out.push_str(if f.nullable { "null" } else { "not null" });
            out.push('\n');
        }
        out
    }

    /// SHA-256 of [`Schema::canonical`], hex encoded.
    pub fn hash(&self) -> String {
        let digest = Sha256::digest(self.canonical().as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Every column name, nested members included as dotted paths (`address.city`),
    /// for search indexes.
    pub fn column_paths(&self) -> Vec<String> {
        fn walk(prefix: &str, t: &DataType, out: &mut Vec<String>) {
            match t {
                DataType::Struct(fields) => {
                    for f in fields {
                        let path = format!("{prefix}.{}", f.name);
                        out.push(path.clone());
                        walk(&path, &f.data_type, out);
                    }
                }
                DataType::List(item) => walk(prefix, item, out),
                DataType::Map(_, v) => walk(prefix, v, out),
                _ => {}
            }
        }
        let mut out = Vec::new();
        for f in &self.fields {
            out.push(f.name.clone());
            walk(&f.name, &f.data_type, &mut out);
        }
        out
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeChange {
    pub name: String,
    pub from: DataType,
    pub to: DataType,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NullabilityChange {
    pub name: String,
    pub from: bool,
    pub to: bool,
}

/// What changed between two schema versions, by column name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaDiff {
    pub added: Vec<Field>,
    pub removed: Vec<Field>,
    pub type_changed: Vec<TypeChange>,
    pub nullability_changed: Vec<NullabilityChange>,
    /// True when the same columns now come in another order (the hash changes with order).
    #[serde(default)]
    pub reordered: bool,
}

impl SchemaDiff {
    pub fn between(old: &Schema, new: &Schema) -> Self {
        let mut diff = SchemaDiff::default();
        for f in &new.fields {
            match old.field(&f.name) {
                None => diff.added.push(f.clone()),
                Some(o) => {
                    if o.data_type != f.data_type {
                        diff.type_changed.push(TypeChange {
                            name: f.name.clone(),
                            from: o.data_type.clone(),
                            to: f.data_type.clone(),
                        });
                    }
                    if o.nullable != f.nullable {
                        diff.nullability_changed.push(NullabilityChange {
                            name: f.name.clone(),
                            from: o.nullable,
                            to: f.nullable,
                        });
                    }
                }
            }
        }
        for o in &old.fields {
            if new.field(&o.name).is_none() {
                diff.removed.push(o.clone());
            }
        }
        let kept_old: Vec<&str> = old
            .fields
            .iter()
            .filter(|f| new.field(&f.name).is_some())
            .map(|f| f.name.as_str())
            .collect();
        let kept_new: Vec<&str> = new
            .fields
            .iter()
            .filter(|f| old.field(&f.name).is_some())
            .map(|f| f.name.as_str())
            .collect();
        diff.reordered = kept_old != kept_new;
        diff
    }

    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.type_changed.is_empty()
            && self.nullability_changed.is_empty()
            && !self.reordered
    }

    /// One line for people: "+2 columns, -1 column, 1 type change".
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        if !self.added.is_empty() {
            parts.push(format!("+{}", plural(self.added.len(), "column")));
        }
        if !self.removed.is_empty() {
            parts.push(format!("-{}", plural(self.removed.len(), "column")));
        }
        if !self.type_changed.is_empty() {
            parts.push(plural(self.type_changed.len(), "type change"));
        }
        if !self.nullability_changed.is_empty() {
            parts.push(plural(self.nullability_changed.len(), "nullability change"));
        }
        if self.reordered {
            parts.push("columns reordered".into());
        }
        if parts.is_empty() {
            "no change".into()
        } else {
            parts.join(", ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(cols: &[(&str, DataType, bool)]) -> Schema {
        Schema::new(
            cols.iter()
                .map(|(n, t, null)| Field::new(*n, t.clone(), *null))
                .collect(),
        )
    }

    #[test]
    fn hash_ignores_descriptions_and_json_formatting() {
        let a = schema(&[("id", DataType::Int64, false), ("name", DataType::String, true)]);
        let mut b = a.clone();
        b.fields[0].description = Some("primary key".into());
        assert_eq!(a.hash(), b.hash());
        let pretty = serde_json::to_string_pretty(&a).unwrap();
        let reparsed: Schema = serde_json::from_str(&pretty).unwrap();
        assert_eq!(a.hash(), reparsed.hash());
        assert_eq!(a.hash().len(), 64);
    }

    #[test]
    fn hash_changes_with_order_names_types_and_nullability() {
        let base = schema(&[("id", DataType::Int64, false), ("name", DataType::String, true)]);
        let variants = [
            schema(&[("name", DataType::String, true), ("id", DataType::Int64, false)]),
            schema(&[("ID", DataType::Int64, false), ("name", DataType::String, true)]),
            schema(&[("id", DataType::Int32, false), ("name", DataType::String, true)]),
            schema(&[("id", DataType::Int64, true), ("name", DataType::String, true)]),
            schema(&[("id", DataType::Int64, false)]),
        ];
        for v in variants {
            assert_ne!(base.hash(), v.hash(), "{v:?}");
        }
    }

    #[test]
    fn names_with_tabs_cannot_collide() {
        let a = schema(&[("a\tint64\tnull\nb", DataType::String, true)]);
        let b = schema(&[("a", DataType::Int64, true), ("b", DataType::String, true)]);
        assert_ne!(a.hash(), b.hash());
    }

    #[test]
    fn diff_reports_each_kind_of_change() {
        let old = schema(&[
            ("id", DataType::Int32, false),
            ("email", DataType::String, false),
            ("gone", DataType::Boolean, true),
        ]);
        let new = schema(&[
            ("id", DataType::Int64, false),
            ("email", DataType::String, true),
            ("added", DataType::Date, true),
        ]);
        let d = SchemaDiff::between(&old, &new);
        assert_eq!(d.added.iter().map(|f| &f.name).collect::<Vec<_>>(), ["added"]);
        assert_eq!(d.removed.iter().map(|f| &f.name).collect::<Vec<_>>(), ["gone"]);
        assert_eq!(
            d.type_changed,
            vec![TypeChange {
                name: "id".into(),
                from: DataType::Int32,
                to: DataType::Int64
            }]
        );
        assert_eq!(d.nullability_changed.len(), 1);
        assert!(!d.reordered);
        assert_eq!(d.summary(), "+1 column, -1 column, 1 type change, 1 nullability change");
        assert!(SchemaDiff::between(&new, &new).is_empty());
    }

    #[test]
    fn diff_notices_reordering() {
        let a = schema(&[("a", DataType::Int64, true), ("b", DataType::Int64, true)]);
        let b = schema(&[("b", DataType::Int64, true), ("a", DataType::Int64, true)]);
        let d = SchemaDiff::between(&a, &b);
        assert!(d.reordered && !d.is_empty());
    }

    #[test]
    fn column_paths_walk_nested_types() {
        let s = schema(&[
            ("id", DataType::Int64, false),
            (
                "address",
                DataType::List(Box::new(DataType::Struct(vec![Field::new(
                    "city",
                    DataType::String,
                    true,
                )]))),
                true,
            ),
        ]);
        assert_eq!(s.column_paths(), ["id", "address", "address.city"]);
    }
}
