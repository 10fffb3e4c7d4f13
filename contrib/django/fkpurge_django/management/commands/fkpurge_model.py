"""manage.py fkpurge_model [APP_LABEL ...] > model.yaml

Writes fkpurge's YAML model (format version 1, or 2 where a ForeignObject has
several columns) of the project's models, as
Django's own delete() sees them: every concrete ForeignKey/OneToOneField with its
on_delete in Django's spelling, every ForeignObject (a key over several
columns Django follows without a database constraint: columns/to_columns),
auto-created many-to-many tables (two CASCADE keys), multi-table inheritance parent links (CASCADE, with a comment on what
fkpurge does not do). What a model cannot say goes to stderr as a warning naming
app_label.Model.field: SET(callable) is written PROTECT (fkpurge then refuses a
purge that would need it, rather than leaving a reference Django would have
changed), GenericForeignKey and GenericRelation are left out (no column
references one table).

With app labels, only their models' tables, plus the tables their keys
reference (primary key only, so the model loads); keys of other apps that
reference the selected tables are warned about (fkpurge will not follow them).
Tables come out sorted by name, keys in field order: the output is
deterministic.
"""

import json
import re

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import models

try:
    from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
except ImportError:  # contenttypes not installed: nothing generic to warn about
    GenericForeignKey = GenericRelation = ()

POLICIES = {
    models.CASCADE: "CASCADE",
    models.SET_NULL: "SET_NULL",
    models.SET_DEFAULT: "SET_DEFAULT",
    models.PROTECT: "PROTECT",
    models.RESTRICT: "RESTRICT",
    models.DO_NOTHING: "DO_NOTHING",
}

# A plain YAML scalar that reads back as this very string; anything else is
# written as a JSON string, which is also a YAML double-quoted scalar.
PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def scalar(value):
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    if PLAIN.match(text) and text.lower() not in YAML_WORDS:
        return text
    return json.dumps(text, ensure_ascii=False)


def place(model, field):
    return "%s.%s.%s" % (model._meta.app_label, model._meta.object_name, field.name)


class Command(BaseCommand):
    help = (
        "Write fkpurge's YAML model of this project's tables and foreign keys to stdout: "
        "every ForeignKey/OneToOneField/ForeignObject with its on_delete, many-to-many tables "
        "as CASCADE, "
        "multi-table inheritance parent links as CASCADE (fkpurge does not delete a child's "
        "parent row). SET(constant) becomes SET_DEFAULT; SET(callable) becomes PROTECT; "
        "GenericForeignKey and GenericRelation are left out: each with a warning on stderr "
        "naming app.Model.field. App labels limit the model to their tables and the tables "
        "these reference."
    )

    def add_arguments(self, parser):
        parser.add_argument("app_label", nargs="*", help="limit the model to these apps' tables")

    def handle(self, *args, **options):
        app_labels = options["app_label"]
        self.warnings = []
        for label in app_labels:
            try:
                apps.get_app_config(label)
            except LookupError as e:
                raise CommandError(str(e))
        every = [m for m in apps.get_models(include_auto_created=True) if not m._meta.proxy]
        chosen = [m for m in every if not app_labels or m._meta.app_label in app_labels]
        tables = {}
        for model in chosen:
            self.add_table(tables, model)
        chosen_tables = set(tables)
        # Tables the chosen keys reference, so that the model loads: their
        # primary key only, since fkpurge never deletes from a parent.
        for model in chosen:
            for field in self.keys(model):
                target = field.related_model
                if target._meta.db_table not in tables:
                    tables[target._meta.db_table] = {
                        "model": target,
                        "pk": target._meta.pk.column,
                        "keys": [],
                        "referenced_only": True,
                    }
        if app_labels:
            for model in every:
                if model._meta.db_table in chosen_tables:
                    continue
                for field in self.keys(model):
                    if field.related_model._meta.db_table in chosen_tables:
                        self.warn(
                            model,
                            field,
                            "references %s but its app is not selected: fkpurge will not "
                            "follow it (name its app too)" % field.related_model._meta.db_table,
                        )
        self.write(tables)
        for line in self.warnings:
            self.stderr.write("fkpurge_model: warning: " + line)

    def warn(self, model, field, text):
        self.warnings.append("%s: %s" % (place(model, field), text))

    def keys(self, model):
        # A ForeignKey has a column of its own; a ForeignObject is a key over
        # other fields' columns, so it is local but not concrete.
        return [f for f in model._meta.local_fields if isinstance(f, models.ForeignObject)]

    def add_table(self, tables, model):
        meta = model._meta
        if meta.db_table in tables:
            first = tables[meta.db_table]["model"]
            self.stderr.write(
                "fkpurge_model: warning: %s.%s: table %s already written for %s.%s; left out"
                % (meta.app_label, meta.object_name, meta.db_table, first._meta.app_label, first._meta.object_name)
            )
            return
        keys = [k for k in (self.key(model, f) for f in self.keys(model)) if k]
        for field in meta.private_fields:
            if isinstance(field, GenericForeignKey):
                self.warn(
                    model,
                    field,
                    "GenericForeignKey (%s, %s) left out: no column references one table; "
                    "fkpurge leaves these rows alone when their object goes, as Django does "
                    "unless the object's model has a GenericRelation" % (field.ct_field, field.fk_field),
                )
            elif isinstance(field, GenericRelation):
                self.warn(
                    model,
                    field,
                    "GenericRelation left out: Django's delete() deletes the %s rows of a "
                    "deleted %s, fkpurge does not (purge them first, or by hand)"
                    % (field.related_model._meta.db_table, meta.object_name),
                )
        tables[meta.db_table] = {"model": model, "pk": meta.pk.column, "keys": keys, "referenced_only": False}

    def key(self, model, field):
        target = field.related_model
        columns = [f.column for f in field.local_related_fields]
        to_columns = [f.column for f in field.foreign_related_fields]
        key = {"references": target._meta.db_table, "comment": None}
        if len(columns) > 1:
            key["columns"], key["to_columns"] = columns, to_columns
        else:
            key["column"] = columns[0]
            if to_columns[0] != target._meta.pk.column:
                key["to_column"] = to_columns[0]
        on_delete = field.remote_field.on_delete
        if len(columns) > 1 and on_delete not in (models.CASCADE, models.PROTECT, models.RESTRICT,
                                                    models.DO_NOTHING, models.SET_NULL):
            # Django sets the ForeignObject's own attribute, not its columns:
            # no value fkpurge could write for them.
            self.warn(model, field, "on_delete of a key over %d columns written PROTECT: only "
                      "CASCADE, SET_NULL, PROTECT, RESTRICT and DO_NOTHING say what becomes of "
                      "its columns" % len(columns))
            key["on_delete"] = "PROTECT"
            return key
        policy = POLICIES.get(on_delete)
        if policy is None and hasattr(on_delete, "deconstruct"):
            # models.SET(value): a constant is SET_DEFAULT with that default;
            # a callable's value is known only when Django calls it.
            value = on_delete.deconstruct()[1][0]
            if callable(value):
                self.warn(
                    model,
                    field,
                    "on_delete=SET(%s) written PROTECT: fkpurge cannot call it, so it refuses "
                    "a purge that would need it" % getattr(value, "__name__", "callable"),
                )
                policy = "PROTECT"
            else:
                policy, key["default"] = "SET_DEFAULT", self.value(model, field, value)
        elif policy is None:
            self.warn(model, field, "unknown on_delete %r left out" % (on_delete,))
            return None
        elif policy == "SET_DEFAULT":
            if callable(field.default):
                self.warn(model, field, "callable default: its value now written as the default")
            key["default"] = self.value(model, field, field.get_default())
        key["on_delete"] = policy
        if field.remote_field.parent_link:
            key["comment"] = (
                "parent link (multi-table inheritance): deleting a %s row deletes this one;\n"
                "      # deleting this one leaves its %s row, which Django's delete() deletes too"
                % (target._meta.db_table, target._meta.db_table)
            )
        return key

    def value(self, model, field, value):
        if isinstance(value, models.Model):
            value = getattr(value, field.target_field.attname)
        if not isinstance(value, (str, int, float, bool)):
            self.warn(model, field, "default %r written as text" % (value,))
            value = str(value)
        return value

    def write(self, tables):
        # Format 2 only where a key has several columns, as fkpurge introspect does.
        composite = any("columns" in k for t in tables.values() for k in t["keys"])
        out = [
            "# fkpurge model written by manage.py fkpurge_model (contrib/django)",
            "version: %d" % (2 if composite else 1),
            "tables:",
        ]
        for name in sorted(tables):
            table = tables[name]
            meta = table["model"]._meta
            note = "%s.%s" % (meta.app_label, meta.object_name)
            if table["referenced_only"]:
                note += ", referenced only: its own keys are not listed"
            out.append("  %s:  # %s" % (scalar(name), note))
            out.append("    primary_key: %s" % scalar(table["pk"]))
            if table["keys"]:
                out.append("    foreign_keys:")
            for key in table["keys"]:
                if key["comment"]:
                    out.append("      # " + key["comment"])
                if "columns" in key:
                    out.append("      - columns: [%s]" % ", ".join(scalar(c) for c in key["columns"]))
                else:
                    out.append("      - column: %s" % scalar(key["column"]))
                out.append("        references: %s" % scalar(key["references"]))
                if "to_columns" in key:
                    out.append("        to_columns: [%s]" % ", ".join(scalar(c) for c in key["to_columns"]))
                if "to_column" in key:
                    out.append("        to_column: %s" % scalar(key["to_column"]))
                out.append("        on_delete: %s" % key["on_delete"])
                if "default" in key:
                    out.append("        default: %s" % scalar(key["default"]))
        self.stdout.write("\n".join(out))
