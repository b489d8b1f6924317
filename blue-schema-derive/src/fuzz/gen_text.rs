//! The Rust text of a generated case: the table enum and each entity,
//! with its attributes and fields.

use std::fmt::Write as _;

use super::{Case, Entity, Role};

impl Case {
    /// The Rust text of the case.
    pub fn text(&self) -> String {
        if let Some(text) = &self.text_override {
            return text.clone();
        }
        let mut out = String::new();
        let mut args = format!("name = \"{}\"", self.table_name);
        if self.indexes > 0 {
            let gsis: Vec<String> = (1..=self.indexes).map(|i| format!("gsi{i}")).collect();
            let _ = write!(args, ", indexes({})", gsis.join(", "));
        }
        if self.ttl {
            args.push_str(", ttl = \"expires_at\"");
        }
        let _ = writeln!(out, "#[derive(blue_schema::Table, Debug)]");
        let _ = writeln!(out, "#[table({args})]");
        let vis = self.entities.first().map_or("", |e| e.vis);
        let _ = writeln!(out, "{vis}enum {} {{", self.table);
        for e in &self.entities {
            let _ = writeln!(out, "    {}({}),", e.name, e.name);
        }
        let _ = writeln!(out, "}}\n");
        for e in &self.entities {
            out.push_str(&e.text(&self.table));
        }
        out
    }
}

impl Entity {
    pub fn text(&self, table: &str) -> String {
        let mut out = String::new();
        if let Some(doc) = &self.doc {
            let _ = writeln!(out, "/// {doc}");
        }
        let _ = writeln!(
            out,
            "#[derive(blue_schema::Entity, serde::Serialize, serde::Deserialize, Debug, Clone, PartialEq)]"
        );
        match &self.pk_prefix {
            Some(p) => {
                let _ = writeln!(out, "#[entity(table = {table}, pk_prefix = \"{p}\")]");
            }
            None => {
                let _ = writeln!(out, "#[entity(table = {table})]");
            }
        }
        match &self.sk_attr {
            Some(attr) => {
                let _ = writeln!(out, "{attr}");
            }
            None => {
                let _ = writeln!(out, "#[sk(prefix = \"{}\")]", self.sk_prefix);
            }
        }
        for i in &self.indexes {
            let _ = writeln!(out, "{i}");
        }
        let _ = writeln!(out, "{}struct {} {{", self.vis, self.name);
        for f in &self.fields {
            let role = match f.role {
                Role::Pk => "#[pk] ",
                Role::Sk => "#[sk] ",
                Role::Version => "#[version] ",
                Role::Ttl => "#[ttl] ",
                Role::Value => "",
            };
            for a in &f.attrs {
                let _ = writeln!(out, "    {a}");
            }
            let _ = writeln!(out, "    {role}{}{}: {},", self.vis, f.name, f.ty.rust());
        }
        let _ = writeln!(out, "}}\n");
        out
    }
}
