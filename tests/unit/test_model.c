/*
 * test_model.c — the model loader (SPEC §1): every refusal with its exact
 * "FILE:LINE:COL: message", and the structure of models it accepts.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "fkpurge/model.h"

/* A model text that the loader must refuse with exactly want. */
static void expect_error_len(const char *yaml, size_t len, const char *want)
{
    struct fp_model *sentinel = (struct fp_model *)&check_failures; /* never dereferenced */
    struct fp_model *m = sentinel;
    struct fp_error err = {0};

    CHECK_INT(model_load_buffer("m.yaml", yaml, len, &m, &err), -1);
    CHECK_STR(err.msg, want);
    CHECK_INT(err.code, FP_EINPUT);
    CHECK_INT(err.located, 1);
    CHECK(m == sentinel); /* *out untouched on failure */
}

static void expect_error(const char *yaml, const char *want)
{
    expect_error_len(yaml, strlen(yaml), want);
}

/* A model text that must load; the caller frees the result. */
static struct fp_model *load_ok(const char *yaml)
{
    struct fp_model *m = NULL;
    struct fp_error err = {0};

    if (model_load_buffer("m.yaml", yaml, strlen(yaml), &m, &err) < 0) {
        fprintf(stderr, "unexpected error: %s\n", err.msg);
        check_failures++;
        return NULL;
    }
    return m;
}

/* Each bad model is its own test, named after the mistake it makes. */
#define BAD(name, yaml, want)                                                                      \
    static void name(void)                                                                         \
    {                                                                                              \
        expect_error(yaml, want);                                                                  \
    }

#define V1       "version: 1\n"
#define HEAD     V1 "tables:\n"
#define CUSTOMER "  customer:\n    primary_key: id\n"
/* An order table whose one foreign key is the flow mapping fk, at line 6. */
#define ORDER_FK(fk) HEAD CUSTOMER "  order:\n    foreign_keys:\n      - {" fk "}\n"

/* ---- not a model at all ---- */

BAD(bad_empty_file, "", "m.yaml:1:1: empty model (expected a mapping with 'version' and 'tables')")
BAD(bad_only_comments, "# a model\n\n# comes later\n",
    "m.yaml:1:1: empty model (expected a mapping with 'version' and 'tables')")
BAD(bad_only_document_marker, "---\n",
    "m.yaml:1:1: empty model (expected a mapping with 'version' and 'tables')")
BAD(bad_top_scalar, "customer\n",
    "m.yaml:1:1: the model must be a mapping with 'version' and 'tables', not a string")
BAD(bad_top_sequence, "- version: 1\n- tables: {}\n",
    "m.yaml:1:1: the model must be a mapping with 'version' and 'tables', not a sequence")
BAD(bad_not_yaml_flow, "{{{ this: is not yaml",
    "m.yaml:2:1: invalid YAML: did not find expected ',' or '}' (while parsing a flow mapping "
    "at line 1, column 3)")
BAD(bad_not_yaml_colon, V1 "tables: customer: id\n",
    "m.yaml:2:17: invalid YAML: mapping values are not allowed in this context")
BAD(bad_unterminated_quote, HEAD "  \"customer:\n",
    "m.yaml:4:1: invalid YAML: found unexpected end of stream (while scanning a quoted scalar at "
    "line 3, column 3)")
BAD(bad_indentation, HEAD CUSTOMER "   foreign_keys: []\n",
    "m.yaml:5:4: invalid YAML: did not find expected key (while parsing a block mapping at line "
    "3, column 3)")
BAD(bad_tab_indentation, HEAD "\tcustomer:\n",
    "m.yaml:3:1: tab character in indentation (YAML indents with spaces)")
BAD(bad_tab_after_spaces, HEAD "  customer:\n  \t primary_key: id\n",
    "m.yaml:4:3: tab character in indentation (YAML indents with spaces)")
BAD(bad_tab_after_dash, HEAD "  customer:\n    foreign_keys:\n      -\t{column: a}\n",
    "m.yaml:5:8: tab character where YAML allows only spaces")
BAD(bad_anchor, HEAD "  customer: &c {primary_key: id}\n",
    "m.yaml:3:13: anchors and aliases are not supported")
BAD(bad_alias, HEAD "  customer: {primary_key: id}\n  client: *c\n",
    "m.yaml:4:11: anchors and aliases are not supported")
BAD(bad_tag, HEAD "  customer: !!map {primary_key: id}\n",
    "m.yaml:3:13: YAML tags are not supported ('!!map')")
BAD(bad_two_documents, HEAD "  customer:\n---\n" HEAD "  order:\n",
    "m.yaml:4:1: a second YAML document starts here (a model is one document)")
BAD(bad_nul_escape, HEAD "  \"cust\\0omer\":\n", "m.yaml:3:3: string contains a NUL character")
BAD(bad_invalid_utf8, HEAD "  caf\xe9:\n",
    "m.yaml:3:6: not valid UTF-8: invalid trailing UTF-8 octet")
BAD(bad_control_character, HEAD "  cust\x01omer:\n",
    "m.yaml:3:7: control character 0x01 is not allowed in YAML")
BAD(bad_deep_nesting,
    HEAD "  customer: "
         "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
    "m.yaml:3:43: nested more than 32 levels deep")

/* ---- top level ---- */

BAD(bad_missing_version, "tables:\n  customer:\n",
    "m.yaml:1:1: missing 'version' (this fkpurge reads versions 1 and 2)")
/* Without a 'version' key, a misspelt one is named rather than reported missing. */
BAD(bad_version_key_typo, "verison: 1\ntables:\n  customer:\n",
    "m.yaml:1:1: unknown top-level key 'verison' (did you mean 'version'?)")
BAD(bad_version_key_case, "tables:\n  customer:\nVersion: 1\n",
    "m.yaml:3:1: unknown top-level key 'Version' (did you mean 'version'?)")
BAD(bad_version_3, "version: 3\ntables:\n  customer:\n",
    "m.yaml:1:10: unsupported model version 3 (this fkpurge reads versions 1 and 2)")
BAD(bad_version_float, "version: 1.5\ntables:\n  customer:\n",
    "m.yaml:1:10: unsupported model version 1.5 (this fkpurge reads versions 1 and 2)")
BAD(bad_version_quoted, "version: \"1\"\ntables:\n  customer:\n",
    "m.yaml:1:10: 'version' must be the integer 1 or 2, not a string (write it unquoted)")
BAD(bad_version_word, "version: one\ntables:\n  customer:\n",
    "m.yaml:1:10: 'version' must be the integer 1 or 2, not a string")
BAD(bad_version_list, "version: [1]\ntables:\n  customer:\n",
    "m.yaml:1:10: 'version' must be the integer 1 or 2, not a sequence")
BAD(bad_version_empty, "version:\ntables:\n  customer:\n",
    "m.yaml:1:9: 'version' must be the integer 1 or 2, not null")
BAD(bad_missing_tables, V1 "schema: shop\n", "m.yaml:1:1: missing 'tables'")
BAD(bad_tables_null, V1 "tables:\n", "m.yaml:2:1: the model has no tables")
BAD(bad_tables_empty, V1 "tables: {}\n", "m.yaml:2:9: the model has no tables")
BAD(bad_tables_sequence, HEAD "  - customer:\n      primary_key: id\n",
    "m.yaml:3:3: 'tables' must be a mapping of table names, not a sequence")
BAD(bad_top_key_typo, V1 "tabels:\n  customer:\n",
    "m.yaml:2:1: unknown top-level key 'tabels' (did you mean 'tables'?)")
BAD(bad_top_key_table_key, HEAD "  customer:\nprimary_key: id\n",
    "m.yaml:4:1: unknown top-level key 'primary_key' ('primary_key' belongs to a table under "
    "'tables')")
BAD(bad_top_key_unknown, HEAD "  customer:\norder:\n",
    "m.yaml:4:1: unknown top-level key 'order' (expected version, schema or tables)")
BAD(bad_top_key_duplicate, HEAD "  customer:\ntables:\n  order:\n",
    "m.yaml:4:1: duplicate top-level key 'tables' (first on line 2)")
BAD(bad_schema_list, V1 "schema: [shop]\ntables:\n  customer:\n",
    "m.yaml:2:9: 'schema' must be a string, not a sequence")
BAD(bad_schema_empty, V1 "schema: ''\ntables:\n  customer:\n", "m.yaml:2:9: 'schema' is empty")

/* ---- tables ---- */

BAD(bad_table_name_integer, HEAD "  123:\n",
    "m.yaml:3:3: table name must be a string, not an integer (quote '123' if it is a name)")
BAD(bad_table_name_boolean, HEAD "  no:\n",
    "m.yaml:3:3: table name must be a string, not a boolean (quote 'no' if it is a name)")
BAD(bad_table_name_empty, HEAD "  \"\":\n", "m.yaml:3:3: table name is empty")
BAD(bad_table_name_mapping, HEAD "  ? {a: b}\n  : {primary_key: id}\n",
    "m.yaml:3:5: table name must be a string, not a mapping")
BAD(bad_table_name_no_schema, HEAD "  .customer:\n",
    "m.yaml:3:3: table name '.customer' has an empty schema part")
BAD(bad_table_name_no_table, HEAD "  shop.:\n",
    "m.yaml:3:3: table name 'shop.' has an empty table part")
BAD(bad_table_description_string, HEAD "  customer: id\n",
    "m.yaml:3:13: description of table 'customer' must be a mapping, not a string")
BAD(bad_table_description_sequence, HEAD "  customer: [id]\n",
    "m.yaml:3:13: description of table 'customer' must be a mapping, not a sequence")
BAD(bad_duplicate_table, HEAD CUSTOMER "  order:\n  customer:\n",
    "m.yaml:6:3: duplicate table 'customer' (first on line 3)")
BAD(bad_duplicate_table_default_schema,
    V1 "schema: shop\ntables:\n  customer:\n    primary_key: id\n  shop.customer:\n",
    "m.yaml:6:3: duplicate table 'shop.customer' (same as 'customer' on line 4)")
BAD(bad_duplicate_table_schema_given_last,
    HEAD "  shop.customer:\n    primary_key: id\n  customer:\nschema: shop\n",
    "m.yaml:5:3: duplicate table 'customer' (same as 'shop.customer' on line 3)")
BAD(bad_table_key_typo, HEAD "  customer:\n    primary_ky: id\n",
    "m.yaml:4:5: unknown key 'primary_ky' in table 'customer' (did you mean 'primary_key'?)")
BAD(bad_table_key_case, HEAD "  customer:\n    Foreign_Keys: []\n",
    "m.yaml:4:5: unknown key 'Foreign_Keys' in table 'customer' (did you mean 'foreign_keys'?)")
BAD(bad_table_key_alias, HEAD "  customer:\n    pk: id\n",
    "m.yaml:4:5: unknown key 'pk' in table 'customer' (did you mean 'primary_key'?)")
BAD(bad_table_key_unknown, HEAD "  customer:\n    comment: people\n",
    "m.yaml:4:5: unknown key 'comment' in table 'customer' (expected primary_key or "
    "foreign_keys)")
BAD(bad_table_key_schema, HEAD "  customer:\n    schema: shop\n",
    "m.yaml:4:5: unknown key 'schema' in table 'customer' (write the table name as "
    "'schema.customer')")
BAD(bad_table_key_from_fk, HEAD "  order:\n    column: customer_id\n",
    "m.yaml:4:5: unknown key 'column' in table 'order' ('column' belongs in an entry of "
    "'foreign_keys')")
BAD(bad_table_key_duplicate, HEAD "  customer:\n    primary_key: id\n    primary_key: uid\n",
    "m.yaml:5:5: duplicate key 'primary_key' in table 'customer' (first on line 4)")
BAD(bad_primary_key_composite, HEAD "  customer:\n    primary_key: [shop_id, id]\n",
    "m.yaml:4:18: 'primary_key' of table 'customer' is a list of columns: composite keys need "
    "'version: 2'")
BAD(bad_primary_key_mapping, HEAD "  customer:\n    primary_key: {name: id}\n",
    "m.yaml:4:18: 'primary_key' of table 'customer' must be a string, not a mapping")
BAD(bad_primary_key_integer, HEAD "  customer:\n    primary_key: 1\n",
    "m.yaml:4:18: 'primary_key' of table 'customer' must be a string, not an integer (quote "
    "'1' if it is a name)")
BAD(bad_primary_key_empty, HEAD "  customer:\n    primary_key:\n",
    "m.yaml:4:17: 'primary_key' of table 'customer' is empty")
BAD(bad_foreign_keys_mapping, HEAD "  order:\n    foreign_keys: {column: customer_id}\n",
    "m.yaml:4:19: 'foreign_keys' of table 'order' must be a sequence, not a mapping")
BAD(bad_foreign_keys_null, HEAD "  order:\n    foreign_keys:\n",
    "m.yaml:4:18: 'foreign_keys' of table 'order' must be a sequence, not null")
BAD(bad_foreign_key_string, HEAD "  order:\n    foreign_keys:\n      - customer_id\n",
    "m.yaml:5:9: foreign key #1 of table 'order' must be a mapping, not a string")
BAD(bad_foreign_key_sequence,
    HEAD CUSTOMER "  order:\n    foreign_keys:\n      - [customer_id, customer, cascade]\n",
    "m.yaml:7:9: foreign key #1 of table 'order' must be a mapping, not a sequence")
BAD(bad_table_key_singular,
    HEAD CUSTOMER "  order:\n    foreign_key:\n"
                  "      - {column: customer_id, references: customer, on_delete: cascade}\n",
    "m.yaml:6:5: unknown key 'foreign_key' in table 'order' (did you mean 'foreign_keys'?)")

/* ---- foreign keys ---- */

BAD(bad_fk_key_typo, ORDER_FK("column: customer_id, refrences: customer, on_delete: cascade"),
    "m.yaml:7:31: unknown key 'refrences' in foreign key 'customer_id' of table 'order' (did you "
    "mean 'references'?)")
BAD(bad_fk_key_typo_column_last,
    ORDER_FK("on_delte: cascade, references: customer, column: customer_id"),
    "m.yaml:7:10: unknown key 'on_delte' in foreign key 'customer_id' of table 'order' (did you "
    "mean 'on_delete'?)")
BAD(bad_fk_key_abbreviation, ORDER_FK("col: customer_id, references: customer, on_delete: cascade"),
    "m.yaml:7:10: unknown key 'col' in foreign key #1 of table 'order' (did you mean "
    "'column'?)")
BAD(bad_fk_key_from_table, ORDER_FK("column: customer_id, primary_key: id"),
    "m.yaml:7:31: unknown key 'primary_key' in foreign key 'customer_id' of table 'order' "
    "('primary_key' belongs to the table, not to a foreign key)")
BAD(bad_fk_key_duplicate,
    HEAD CUSTOMER "  order:\n    foreign_keys:\n      - column: customer_id\n"
                  "        references: customer\n        on_delete: cascade\n"
                  "        on_delete: set_null\n",
    "m.yaml:10:9: duplicate key 'on_delete' in foreign key 'customer_id' of table 'order' "
    "(first on line 9)")
BAD(bad_fk_missing_column, ORDER_FK("references: customer, on_delete: cascade"),
    "m.yaml:7:9: missing 'column' in foreign key #1 of table 'order'")
BAD(bad_fk_missing_references, ORDER_FK("column: customer_id, on_delete: cascade"),
    "m.yaml:7:9: missing 'references' in foreign key 'customer_id' of table 'order'")
BAD(bad_fk_missing_on_delete, ORDER_FK("column: customer_id, references: customer"),
    "m.yaml:7:9: missing 'on_delete' in foreign key 'customer_id' of table 'order'")
BAD(bad_fk_empty_mapping, HEAD "  order:\n    foreign_keys:\n      - {}\n",
    "m.yaml:5:9: missing 'column' in foreign key #1 of table 'order'")
BAD(bad_fk_column_integer, ORDER_FK("column: 7, references: customer, on_delete: cascade"),
    "m.yaml:7:18: 'column' in foreign key #1 of table 'order' must be a string, not an integer "
    "(quote '7' if it is a name)")
BAD(bad_fk_column_empty, ORDER_FK("column: '', references: customer, on_delete: cascade"),
    "m.yaml:7:18: 'column' in foreign key #1 of table 'order' is empty")
BAD(bad_fk_references_sequence,
    ORDER_FK("column: customer_id, references: [customer], on_delete: cascade"),
    "m.yaml:7:43: 'references' in foreign key 'customer_id' of table 'order' must be a string, "
    "not a sequence")
BAD(bad_fk_references_empty, ORDER_FK("column: customer_id, references: '', on_delete: cascade"),
    "m.yaml:7:43: 'references' in foreign key 'customer_id' of table 'order' is empty")
BAD(bad_fk_policy_typo, ORDER_FK("column: customer_id, references: customer, on_delete: cascde"),
    "m.yaml:7:64: unknown on_delete policy 'cascde' (expected cascade, set_null, set_default, "
    "protect, restrict, do_nothing)")
BAD(bad_fk_policy_mixed_case,
    ORDER_FK("column: customer_id, references: customer, on_delete: Cascade"),
    "m.yaml:7:64: unknown on_delete policy 'Cascade' (expected cascade, set_null, set_default, "
    "protect, restrict, do_nothing)")
BAD(bad_fk_policy_mapping,
    ORDER_FK("column: customer_id, references: customer, on_delete: {policy: cascade}"),
    "m.yaml:7:64: 'on_delete' in foreign key 'customer_id' of table 'order' must be a string, "
    "not a mapping")
BAD(bad_fk_policy_empty, ORDER_FK("column: customer_id, references: customer, on_delete: ''"),
    "m.yaml:7:64: 'on_delete' in foreign key 'customer_id' of table 'order' is empty")
BAD(bad_fk_policy_django_typo,
    ORDER_FK("column: customer_id, references: customer, on_delete: SET_NUL"),
    "m.yaml:7:64: unknown on_delete policy 'SET_NUL' (expected cascade, set_null, set_default, "
    "protect, restrict, do_nothing)")
BAD(bad_fk_policy_django_qualified,
    ORDER_FK("column: customer_id, references: customer, on_delete: models.CASCADE"),
    "m.yaml:7:64: unknown on_delete policy 'models.CASCADE' (expected cascade, set_null, "
    "set_default, protect, restrict, do_nothing)")
BAD(bad_fk_policy_sequence,
    ORDER_FK("column: customer_id, references: customer, on_delete: [cascade]"),
    "m.yaml:7:64: 'on_delete' in foreign key 'customer_id' of table 'order' must be a string, "
    "not a sequence")
BAD(bad_fk_to_column_list,
    ORDER_FK("column: customer_id, references: customer, on_delete: cascade, to_column: [a]"),
    "m.yaml:7:84: 'to_column' in foreign key 'customer_id' of table 'order' is a list of "
    "columns: composite keys need 'version: 2'")
BAD(bad_fk_to_column_empty,
    ORDER_FK("column: customer_id, references: customer, on_delete: cascade, to_column: ''"),
    "m.yaml:7:84: 'to_column' in foreign key 'customer_id' of table 'order' is empty")
BAD(bad_fk_nullable_yes,
    ORDER_FK("column: customer_id, references: customer, on_delete: cascade, nullable: yes"),
    "m.yaml:7:83: 'nullable' in foreign key 'customer_id' of table 'order' must be true or "
    "false, not 'yes'")
BAD(bad_fk_nullable_quoted,
    ORDER_FK("column: customer_id, references: customer, on_delete: cascade, nullable: 'false'"),
    "m.yaml:7:83: 'nullable' in foreign key 'customer_id' of table 'order' must be true or "
    "false, not 'false'")
BAD(bad_fk_nullable_mapping,
    ORDER_FK("column: customer_id, references: customer, on_delete: cascade, nullable: {}"),
    "m.yaml:7:83: 'nullable' in foreign key 'customer_id' of table 'order' must be true or "
    "false, not a mapping")
BAD(bad_fk_set_null_not_nullable,
    ORDER_FK("column: customer_id, references: customer, on_delete: set_null, nullable: false"),
    "m.yaml:7:64: foreign key 'customer_id' of table 'order' is declared nullable: false, so it "
    "cannot be set_null")
BAD(bad_fk_set_null_not_nullable_django,
    ORDER_FK("nullable: False, column: customer_id, references: customer, on_delete: SET_NULL"),
    "m.yaml:7:81: foreign key 'customer_id' of table 'order' is declared nullable: false, so it "
    "cannot be set_null")
BAD(bad_fk_default_not_set_default,
    ORDER_FK("column: customer_id, references: customer, on_delete: cascade, default: 0"),
    "m.yaml:7:82: foreign key 'customer_id' of table 'order' has a 'default' but its policy is "
    "cascade, not set_default")
BAD(bad_fk_default_null,
    ORDER_FK("column: customer_id, references: customer, on_delete: set_default, default: ~"),
    "m.yaml:7:86: 'default' in foreign key 'customer_id' of table 'order' is null (for NULL, use "
    "on_delete: set_null)")
BAD(bad_fk_default_sequence,
    ORDER_FK("column: customer_id, references: customer, on_delete: set_default, default: [0]"),
    "m.yaml:7:86: 'default' in foreign key 'customer_id' of table 'order' must be a value, not a "
    "sequence")
BAD(bad_fk_duplicate_column,
    HEAD CUSTOMER "  order:\n    foreign_keys:\n"
                  "      - {column: customer_id, references: customer, on_delete: cascade}\n"
                  "      - {column: ship_to, references: customer, on_delete: set_null}\n"
                  "      - {column: customer_id, references: customer, on_delete: set_null}\n",
    "m.yaml:9:18: duplicate foreign key column 'customer_id' in table 'order' (first on line 7)")
BAD(bad_fk_unknown_table, ORDER_FK("column: customer_id, references: custmer, on_delete: cascade"),
    "m.yaml:7:43: foreign key 'customer_id' of table 'order' references unknown table 'custmer' "
    "(did you mean 'customer'?)")
BAD(bad_fk_unknown_table_two_typos,
    ORDER_FK("column: customer_id, references: custmr, on_delete: cascade"),
    "m.yaml:7:43: foreign key 'customer_id' of table 'order' references unknown table 'custmr' "
    "(did you mean 'customer'?)")
BAD(bad_fk_unknown_table_far,
    ORDER_FK("column: invoice_id, references: invoice, on_delete: cascade"),
    "m.yaml:7:42: foreign key 'invoice_id' of table 'order' references unknown table 'invoice'")
BAD(bad_fk_unknown_table_case,
    ORDER_FK("column: customer_id, references: Customer, on_delete: cascade"),
    "m.yaml:7:43: foreign key 'customer_id' of table 'order' references unknown table 'Customer' "
    "(did you mean 'customer'?)")
BAD(bad_fk_unknown_qualified_table,
    V1 "schema: shop\ntables:\n  customer:\n    primary_key: id\n  order:\n    foreign_keys:\n"
       "      - {column: customer_id, references: shop.custmer, on_delete: cascade}\n",
    "m.yaml:8:43: foreign key 'customer_id' of table 'order' references unknown table "
    "'shop.custmer' (did you mean 'customer'?)")
BAD(bad_fk_unknown_schema,
    V1 "schema: shop\ntables:\n  customer:\n    primary_key: id\n  order:\n    foreign_keys:\n"
       "      - {column: customer_id, references: public.customer, on_delete: cascade}\n",
    "m.yaml:8:43: foreign key 'customer_id' of table 'order' references unknown table "
    "'public.customer' (did you mean 'customer'?)")
BAD(bad_fk_keyless_parent,
    HEAD "  tag:\n  order:\n    foreign_keys:\n"
         "      - {column: tag_id, references: tag, on_delete: cascade, to_column: id}\n",
    "m.yaml:6:38: foreign key 'tag_id' of table 'order' references table 'tag', which has no "
    "primary_key")
BAD(bad_fk_keyless_parent_by_primary_key,
    HEAD "  tag:\n  order:\n    foreign_keys:\n"
         "      - {column: tag_id, references: tag, on_delete: set_null}\n",
    "m.yaml:6:38: foreign key 'tag_id' of table 'order' references table 'tag', which has no "
    "primary_key")
BAD(bad_fk_hostile_name, HEAD "  \"a\\e[31mred\":\n    primary_ky: id\n",
    "m.yaml:4:5: unknown key 'primary_ky' in table 'a\\x1b[31mred' (did you mean 'primary_key'?)")

static void bad_nul_byte_in_file(void)
{
    static const char yaml[] = HEAD "  cust\0omer:\n";
    expect_error_len(yaml, sizeof yaml - 1,
                     "m.yaml:3:7: control character 0x00 is not allowed "
                     "in YAML");
}

static void bad_long_name_is_cut(void)
{
    char yaml[512], want[512];
    char name[201];

    memset(name, 'x', 200);
    name[200] = '\0';
    snprintf(yaml, sizeof yaml, HEAD "  %s:\n    primary_ky: id\n", name);
    snprintf(want, sizeof want,
             "m.yaml:4:5: unknown key 'primary_ky' in table '%.80s...' (did you mean "
             "'primary_key'?)",
             name);
    expect_error(yaml, want);
}

static void bad_buffer_too_large(void)
{
    size_t len = 16u * 1024 * 1024 + 1;
    char *big = malloc(len);

    CHECK(big != NULL);
    if (!big)
        return;
    memset(big, ' ', len);
    expect_error_len(big, len, "m.yaml:1:1: model is larger than 16 MiB");
    free(big);
}

/* ---- files ---- */

static void file_missing(void)
{
    struct fp_model *m = NULL;
    struct fp_error err = {0};

    CHECK_INT(model_load_file("/nonexistent/shop.yaml", &m, &err), -1);
    CHECK_STR(err.msg, "/nonexistent/shop.yaml: No such file or directory");
    CHECK_INT(err.code, FP_EINPUT);
    CHECK_INT(err.located, 0);
    CHECK(m == NULL);
}

static void file_is_directory(void)
{
    struct fp_model *m = NULL;
    struct fp_error err = {0};

    CHECK_INT(model_load_file(".", &m, &err), -1);
    CHECK_STR(err.msg, ".: Is a directory");
    CHECK(m == NULL);
}

/* A device never ends: the loader must stop reading just past the limit. */
static void file_endless_stream(void)
{
    struct fp_model *m = NULL;
    struct fp_error err = {0};

    CHECK_INT(model_load_file("/dev/zero", &m, &err), -1);
    CHECK_STR(err.msg, "/dev/zero:1:1: model is larger than 16 MiB");
    CHECK(m == NULL);
}

/* Writes text to a new temporary file; returns its path (static buffer). */
static const char *temp_file(const char *text, size_t len, off_t size)
{
    static char path[64];
    int fd;

    snprintf(path, sizeof path, "/tmp/test_model.XXXXXX");
    fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return path;
    CHECK(write(fd, text, len) == (ssize_t)len);
    if (size)
        CHECK(ftruncate(fd, size) == 0);
    close(fd);
    return path;
}

static void file_too_large(void)
{
    /* A sparse file: refused from its size, before anything is read. */
    const char *path =
        temp_file(HEAD "  customer:\n", strlen(HEAD "  customer:\n"), (off_t)16 * 1024 * 1024 + 1);
    struct fp_model *m = NULL;
    struct fp_error err = {0};
    char want[128];

    snprintf(want, sizeof want, "%s:1:1: model is larger than 16 MiB", path);
    CHECK_INT(model_load_file(path, &m, &err), -1);
    CHECK_STR(err.msg, want);
    CHECK(m == NULL);
    unlink(path);
}

static void file_at_limit_loads(void)
{
    /* Exactly 16 MiB: a model padded with a comment is still a model. */
    const char *head = HEAD "  customer:\n#";
    size_t len = 16u * 1024 * 1024;
    char *text = malloc(len);
    const char *path;
    struct fp_model *m = NULL;
    struct fp_error err = {0};

    CHECK(text != NULL);
    if (!text)
        return;
    memset(text, 'x', len);
    memcpy(text, head, strlen(head));
    path = temp_file(text, len, 0);
    CHECK_INT(model_load_file(path, &m, &err), 0);
    CHECK(m && m->ntables == 1 && m->text_len == len);
    CHECK(m && m->text[len] == '\0');
    model_free(m);
    unlink(path);
    free(text);
}

static void file_loads_and_keeps_text(void)
{
    const char *text = HEAD CUSTOMER;
    const char *path = temp_file(text, strlen(text), 0);
    struct fp_model *m = NULL;
    struct fp_error err = {0};

    CHECK_INT(model_load_file(path, &m, &err), 0);
    if (m) {
        CHECK_STR(m->path, path);
        CHECK_STR(m->text, text);
        CHECK_INT(m->text_len, strlen(text));
        CHECK_STR(m->tables[0].pk, "id");
    }
    model_free(m);
    unlink(path);
}

static void file_error_names_file(void)
{
    const char *text = HEAD "  customer:\n    primary_ky: id\n";
    const char *path = temp_file(text, strlen(text), 0);
    struct fp_model *m = NULL;
    struct fp_error err = {0};
    char want[256];

    snprintf(want, sizeof want,
             "%s:4:5: unknown key 'primary_ky' in table 'customer' (did you mean "
             "'primary_key'?)",
             path);
    CHECK_INT(model_load_file(path, &m, &err), -1);
    CHECK_STR(err.msg, want);
    unlink(path);
}

/* ---- good models ---- */

static const char shop[] = "# SPEC §1\n"
                           "version: 1\n"
                           "schema: shop\n"
                           "tables:\n"
                           "  customer:\n"
                           "    primary_key: id\n"
                           "  address:\n"
                           "    primary_key: id\n"
                           "    foreign_keys:\n"
                           "      - {column: customer_id, references: customer, on_delete: "
                           "cascade}\n"
                           "  order:\n"
                           "    primary_key: id\n"
                           "    foreign_keys:\n"
                           "      - {column: customer_id, references: customer, on_delete: "
                           "cascade}\n"
                           "      - {column: ship_to, references: address, on_delete: "
                           "set_null}\n"
                           "  note:\n"
                           "    primary_key: id\n"
                           "    foreign_keys:\n"
                           "      - {column: customer_id, references: customer, on_delete: "
                           "cascade}\n"
                           "      - {column: reply_to, references: note, on_delete: cascade}\n"
                           "  tag_link:\n"
                           "    foreign_keys:\n"
                           "      - {column: order_id, references: order, on_delete: cascade}\n";

static void check_edge(const struct fp_model *m, size_t i, size_t child, const char *column,
                       size_t parent, const char *parent_column, enum fp_policy policy)
{
    CHECK(i < m->nedges);
    if (i >= m->nedges)
        return;
    CHECK_INT(m->edges[i].child, child);
    CHECK_STR(m->edges[i].column, column);
    CHECK_INT(m->edges[i].parent, parent);
    CHECK_STR(m->edges[i].parent_column, parent_column);
    CHECK_INT(m->edges[i].policy, policy);
}

/* ---- version 2: composite keys ---- */

#define HEAD2 "version: 2\ntables:\n"
#define SHOP2 HEAD2 "  shop:\n    primary_key: [tenant_id, id]\n"
/* An order table whose one foreign key is the flow mapping fk, at line 6, under version 2. */
#define ORDER_FK2(fk) SHOP2 "  order:\n    foreign_keys:\n      - {" fk "}\n"

BAD(bad_v1_columns, ORDER_FK("columns: [a, b], references: customer, on_delete: cascade"),
    "m.yaml:7:10: 'columns' in foreign key #1 of table 'order' needs 'version: 2'")
BAD(bad_v1_column_list, ORDER_FK("column: [a, b], references: customer, on_delete: cascade"),
    "m.yaml:7:18: 'column' in foreign key #1 of table 'order' is a list of columns: composite "
    "keys need 'version: 2'")
BAD(bad_v1_to_columns,
    ORDER_FK("column: c, to_columns: [a], references: customer, on_delete: cascade"),
    "m.yaml:7:21: 'to_columns' in foreign key 'c' of table 'order' needs 'version: 2'")
BAD(bad_v2_pk_empty_list, HEAD2 "  shop:\n    primary_key: []\n",
    "m.yaml:4:18: 'primary_key' of table 'shop' is an empty list")
BAD(bad_v2_pk_twice, HEAD2 "  shop:\n    primary_key: [id, tenant_id, id]\n",
    "m.yaml:4:34: column 'id' is twice in 'primary_key' of table 'shop'")
BAD(bad_v2_pk_element_integer, HEAD2 "  shop:\n    primary_key: [id, 7]\n",
    "m.yaml:4:23: 'primary_key' of table 'shop' must be a string, not an integer (quote '7' if "
    "it is a name)")
BAD(bad_v2_column_and_columns,
    ORDER_FK2("column: a, columns: [a, b], references: shop, on_delete: cascade"),
    "m.yaml:7:21: both 'column' and 'columns' in foreign key 'a' of table 'order'")
BAD(bad_v2_arity, ORDER_FK2("columns: [tenant_id], references: shop, on_delete: cascade"),
    "m.yaml:7:19: foreign key 'tenant_id' of table 'order' has 1 column, but the primary_key of "
    "table 'shop' has 2")
BAD(bad_v2_arity_single_parent,
    HEAD2 "  shop:\n    primary_key: id\n  order:\n    foreign_keys:\n"
          "      - {columns: [tenant_id, shop_id], references: shop, on_delete: cascade}\n",
    "m.yaml:7:19: foreign key '(tenant_id, shop_id)' of table 'order' has 2 columns, but the "
    "primary_key of table 'shop' has 1")
BAD(bad_v2_to_columns_arity,
    ORDER_FK2("columns: [t, s], to_columns: [code], references: shop, on_delete: cascade"),
    "m.yaml:7:39: 'to_columns' in foreign key #1 of table 'order' names 1 column for 2 in "
    "'columns'")
BAD(bad_v2_composite_default,
    ORDER_FK2("columns: [t, s], references: shop, on_delete: set_default, default: 0"),
    "m.yaml:7:78: 'default' in foreign key #1 of table 'order': a composite key is set to its "
    "columns' own defaults (leave 'default' out)")

static void check_names(char **got, size_t n, const char *a, const char *b)
{
    CHECK_INT(n, b ? 2 : 1);
    if (n < 1)
        return;
    CHECK_STR(got[0], a);
    if (b && n == 2)
        CHECK_STR(got[1], b);
}

/* Lists and scalars side by side; a one-column list is a plain key. */
static void good_composite(void)
{
    struct fp_model *m = load_ok(
        HEAD2 "  tenant:\n    primary_key: [id]\n"
              "  shop:\n    primary_key: [tenant_id, id]\n"
              "    foreign_keys:\n"
              "      - {column: tenant_id, references: tenant, on_delete: cascade}\n"
              "      - {columns: [tenant_id, parent_id], references: shop, on_delete: set_null}\n"
              "  line:\n    foreign_keys:\n"
              "      - {column: [tenant_id, shop_id], references: shop, on_delete: cascade}\n"
              "      - {columns: [tenant_id, code], to_columns: [tenant_id, code], references: "
              "shop, on_delete: protect}\n");
    char buf[128];

    if (!m)
        return;
    CHECK_INT(m->version, 2);
    CHECK_STR(m->tables[0].pk, "id");
    check_names(m->tables[0].pk_cols, m->tables[0].npk, "id", NULL);
    CHECK_STR(m->tables[1].pk, "(tenant_id, id)");
    check_names(m->tables[1].pk_cols, m->tables[1].npk, "tenant_id", "id");
    CHECK(m->tables[2].pk == NULL && m->tables[2].npk == 0);
    check_edge(m, 0, 1, "tenant_id", 0, "id", FP_CASCADE);
    check_names(m->edges[0].parent_columns, m->edges[0].ncols, "id", NULL);
    check_edge(m, 1, 1, "(tenant_id, parent_id)", 1, "(tenant_id, id)", FP_SET_NULL);
    check_names(m->edges[1].columns, m->edges[1].ncols, "tenant_id", "parent_id");
    check_names(m->edges[1].parent_columns, m->edges[1].ncols, "tenant_id", "id");
    check_edge(m, 2, 2, "(tenant_id, shop_id)", 1, "(tenant_id, id)", FP_CASCADE);
    check_edge(m, 3, 2, "(tenant_id, code)", 1, "(tenant_id, code)", FP_PROTECT);
    CHECK_STR(model_composite(m, buf, sizeof buf), "table 'shop' (primary_key (tenant_id, id))");
    model_free(m);

    m = load_ok(HEAD2 "  a:\n    primary_key: id\n  b:\n    foreign_keys:\n"
                      "      - {columns: [x, y], to_columns: [p, q], references: a, on_delete: "
                      "cascade}\n");
    if (!m)
        return;
    CHECK_STR(model_composite(m, buf, sizeof buf), "table 'b' (foreign key (x, y))");
    model_free(m);
    m = load_ok(shop);
    if (!m)
        return;
    CHECK_INT(m->version, 1);
    CHECK(model_composite(m, buf, sizeof buf) == NULL);
    CHECK_INT(m->tables[0].npk, 1);
    model_free(m);
}

static void good_spec_shop(void)
{
    struct fp_model *m = load_ok(shop);

    if (!m)
        return;
    CHECK_STR(m->path, "m.yaml");
    CHECK_STR(m->text, shop);
    CHECK_INT(m->text_len, strlen(shop));
    CHECK_STR(m->schema, "shop");
    CHECK_INT(m->ntables, 5);
    CHECK_STR(m->tables[0].name, "customer");
    CHECK_STR(m->tables[0].schema, "shop");
    CHECK_STR(m->tables[0].relname, "customer");
    CHECK_STR(m->tables[0].pk, "id");
    CHECK_INT(m->tables[0].line, 5);
    CHECK_INT(m->tables[0].col, 3);
    CHECK_STR(m->tables[2].name, "order");
    CHECK_STR(m->tables[4].name, "tag_link");
    CHECK(m->tables[4].pk == NULL);
    CHECK_INT(m->nedges, 6);
    check_edge(m, 0, 1, "customer_id", 0, "id", FP_CASCADE);
    check_edge(m, 1, 2, "customer_id", 0, "id", FP_CASCADE);
    check_edge(m, 2, 2, "ship_to", 1, "id", FP_SET_NULL);
    check_edge(m, 3, 3, "customer_id", 0, "id", FP_CASCADE);
    check_edge(m, 4, 3, "reply_to", 3, "id", FP_CASCADE);
    check_edge(m, 5, 4, "order_id", 2, "id", FP_CASCADE);
    CHECK_INT(m->edges[2].line, 15);
    CHECK_INT(m->edges[2].col, 9);
    for (size_t i = 0; i < m->nedges; i++) {
        CHECK_INT(m->edges[i].nullable, 1);
        CHECK(m->edges[i].default_value == NULL);
    }
    model_free(m);
}

static void good_schema_split(void)
{
    struct fp_model *m = load_ok(V1 "tables:\n"
                                    "  sales.order:\n    primary_key: id\n"
                                    "  customer:\n    primary_key: id\n"
                                    "  a.b.c:\n    primary_key: id\n");

    if (!m)
        return;
    CHECK(m->schema == NULL);
    CHECK_STR(m->tables[0].name, "sales.order");
    CHECK_STR(m->tables[0].schema, "sales");
    CHECK_STR(m->tables[0].relname, "order");
    CHECK(m->tables[1].schema == NULL); /* no default schema: the database's own */
    CHECK_STR(m->tables[1].relname, "customer");
    CHECK_STR(m->tables[2].schema, "a"); /* split on the first dot */
    CHECK_STR(m->tables[2].relname, "b.c");
    model_free(m);
}

static void good_default_schema_after_tables(void)
{
    struct fp_model *m = load_ok(HEAD "  customer:\n    primary_key: id\n"
                                      "  billing.invoice:\n    primary_key: id\n    foreign_keys:\n"
                                      "      - {column: c, references: shop.customer, on_delete: "
                                      "protect}\n"
                                      "schema: shop\n");

    if (!m)
        return;
    CHECK_STR(m->tables[0].schema, "shop");
    CHECK_STR(m->tables[1].schema, "billing");
    check_edge(m, 0, 1, "c", 0, "id", FP_PROTECT);
    model_free(m);
}

static void good_to_column_nullable_default(void)
{
    struct fp_model *m = load_ok(HEAD "  customer:\n    primary_key: id\n"
                                      "  order:\n    primary_key: id\n    foreign_keys:\n"
                                      "      - column: customer_email\n"
                                      "        references: customer\n"
                                      "        to_column: email\n"
                                      "        on_delete: set_default\n"
                                      "        default: 'nobody@example.com'\n"
                                      "        nullable: false\n"
                                      "      - {column: seller, references: customer, on_delete: "
                                      "set_default, default: 0}\n"
                                      "      - {column: rep, references: customer, on_delete: "
                                      "set_null, nullable: true}\n"
                                      "      - {column: flag, references: customer, on_delete: "
                                      "set_default, default: true}\n"
                                      "      - {column: note, references: customer, on_delete: "
                                      "set_default, default: ''}\n");

    if (!m)
        return;
    CHECK_INT(m->nedges, 5);
    check_edge(m, 0, 1, "customer_email", 0, "email", FP_SET_DEFAULT);
    CHECK_STR(m->edges[0].default_value, "nobody@example.com");
    CHECK_INT(m->edges[0].nullable, 0);
    CHECK_STR(m->edges[1].default_value, "0");
    CHECK_INT(m->edges[1].nullable, 1);
    check_edge(m, 2, 1, "rep", 0, "id", FP_SET_NULL);
    CHECK_INT(m->edges[2].nullable, 1);
    CHECK(m->edges[2].default_value == NULL);
    CHECK_STR(m->edges[3].default_value, "true");
    CHECK_STR(m->edges[4].default_value, "");
    model_free(m);
}

static void good_django_spellings(void)
{
    static const char *const spellings[][2] = {
        {"CASCADE", "cascade"}, {"SET_NULL", "set_null"}, {"SET_DEFAULT", "set_default"},
        {"PROTECT", "protect"}, {"RESTRICT", "restrict"}, {"DO_NOTHING", "do_nothing"},
    };

    for (int p = 0; p < FP_NPOLICIES; p++) {
        char yaml[256];
        struct fp_model *m;
        enum fp_policy lower, upper;

        snprintf(yaml, sizeof yaml, ORDER_FK("column: c, references: customer, on_delete: %s"),
                 spellings[p][0]);
        m = load_ok(yaml);
        CHECK(m && m->nedges == 1 && m->edges[0].policy == (enum fp_policy)p);
        model_free(m);
        CHECK_INT(policy_parse(spellings[p][0], &upper), 0);
        CHECK_INT(policy_parse(spellings[p][1], &lower), 0);
        CHECK_INT(upper, p);
        CHECK_INT(lower, p);
        CHECK_STR(policy_name((enum fp_policy)p), spellings[p][1]);
    }
    CHECK_INT(policy_parse("Cascade", &(enum fp_policy){0}), -1);
}

static void good_null_table_description(void)
{
    struct fp_model *m = load_ok(HEAD "  log:\n  audit: ~\n  event: {}\n");

    if (!m)
        return;
    CHECK_INT(m->ntables, 3);
    for (size_t i = 0; i < m->ntables; i++)
        CHECK(m->tables[i].pk == NULL);
    CHECK_INT(m->nedges, 0);
    model_free(m);
}

static void good_hostile_names(void)
{
    struct fp_model *m = load_ok(V1 "schema: \"my schema\"\n"
                                    "tables:\n"
                                    "  order:\n    primary_key: \"select\"\n"
                                    "  \"weird name\":\n    primary_key: \"the id\"\n"
                                    "    foreign_keys:\n"
                                    "      - {column: \"order\", references: order, on_delete: "
                                    "cascade}\n"
                                    "  'x\"; DROP TABLE t; --':\n    primary_key: 'it''s'\n"
                                    "    foreign_keys:\n"
                                    "      - {column: 'a\"b', references: weird name, on_delete: "
                                    "set_null}\n"
                                    "  客户:\n    primary_key: 编号\n"
                                    "    foreign_keys:\n"
                                    "      - {column: café, references: 'x\"; DROP TABLE t; --',"
                                    " on_delete: restrict}\n"
                                    "  \"2fa\":\n    primary_key: \"1\"\n");

    if (!m)
        return;
    CHECK_INT(m->ntables, 5);
    CHECK_STR(m->schema, "my schema");
    CHECK_STR(m->tables[0].name, "order");
    CHECK_STR(m->tables[0].pk, "select");
    CHECK_STR(m->tables[1].name, "weird name");
    CHECK_STR(m->tables[1].schema, "my schema");
    CHECK_STR(m->tables[2].name, "x\"; DROP TABLE t; --");
    CHECK_STR(m->tables[2].relname, "x\"; DROP TABLE t; --");
    CHECK_STR(m->tables[2].pk, "it's");
    CHECK_STR(m->tables[3].name, "客户");
    CHECK_STR(m->tables[3].pk, "编号");
    CHECK_STR(m->tables[4].name, "2fa");
    CHECK_STR(m->tables[4].pk, "1");
    check_edge(m, 0, 1, "order", 0, "select", FP_CASCADE);
    check_edge(m, 1, 2, "a\"b", 1, "the id", FP_SET_NULL);
    check_edge(m, 2, 3, "café", 2, "it's", FP_RESTRICT);
    model_free(m);
}

static void good_block_style_any_key_order(void)
{
    struct fp_model *m = load_ok("tables:\n"
                                 "  child:\n"
                                 "    foreign_keys:\n"
                                 "      - on_delete: do_nothing\n"
                                 "        references: parent\n"
                                 "        column: parent_id\n"
                                 "  parent:\n"
                                 "    primary_key: id\n"
                                 "version: 1\n");

    if (!m)
        return;
    check_edge(m, 0, 0, "parent_id", 1, "id", FP_DO_NOTHING);
    CHECK_INT(m->edges[0].line, 4);
    CHECK_INT(m->edges[0].col, 9);
    model_free(m);
}

static void good_yaml_variants(void)
{
    /* A BOM, CRLF lines, a %YAML directive, explicit document markers, a tab
     * after a value indicator (allowed where it is not indentation). */
    struct fp_model *m = load_ok("\xef\xbb\xbf%YAML 1.1\r\n---\r\nversion: 1\r\ntables:\r\n"
                                 "  customer: {primary_key:\tid}\r\n...\r\n");

    if (!m)
        return;
    CHECK_STR(m->tables[0].pk, "id");
    model_free(m);
}

static void good_find_table(void)
{
    struct fp_model *m = load_ok(shop);

    if (!m)
        return;
    CHECK_INT(model_find_table(m, "customer"), 0);
    CHECK_INT(model_find_table(m, "shop.customer"), 0);
    CHECK_INT(model_find_table(m, "tag_link"), 4);
    CHECK_INT(model_find_table(m, "public.customer"), -1);
    CHECK_INT(model_find_table(m, "invoice"), -1);
    CHECK_INT(model_find_table(m, ""), -1);
    model_free(m);
}

static void good_large_model(void)
{
    /* 20,000 tables, each referencing the one before: loads in linear-ish time. */
    size_t n = 20000, cap = n * 120, len = 0;
    char *yaml = malloc(cap);
    struct fp_model *m;

    CHECK(yaml != NULL);
    if (!yaml)
        return;
    len += (size_t)snprintf(yaml + len, cap - len, HEAD "  t0:\n    primary_key: id\n");
    for (size_t i = 1; i < n; i++)
        len += (size_t)snprintf(yaml + len, cap - len,
                                "  t%zu:\n    primary_key: id\n    foreign_keys: [{column: p, "
                                "references: t%zu, on_delete: cascade}]\n",
                                i, i - 1);
    m = load_ok(yaml);
    CHECK(m && m->ntables == n && m->nedges == n - 1);
    if (m)
        check_edge(m, n - 2, n - 1, "p", n - 2, "id", FP_CASCADE);
    model_free(m);
    free(yaml);
}

/*
 * Robustness: every prefix of a valid model, and every single-byte change
 * to it, either loads or fails with a located message; never crashes or
 * leaks (run under the sanitizers).
 */
static void robust_prefixes_and_mutations(void)
{
    static const char bytes[] = {'\0', '\t', '\n', ' ', '"', '\'', '&', '*', '!',   '-',
                                 ':',  '[',  ']',  '{', '}', '#',  '|', '>', '\xff'};
    size_t len = strlen(shop);
    char *copy = malloc(len);
    int located = 1;

    CHECK(copy != NULL);
    if (!copy)
        return;
    for (size_t cut = 0; cut <= len; cut++) {
        struct fp_model *m = NULL;
        struct fp_error err = {0};
        if (model_load_buffer("m.yaml", shop, cut, &m, &err) < 0)
            located &= err.located && strncmp(err.msg, "m.yaml:", 7) == 0;
        model_free(m);
    }
    for (size_t at = 0; at < len; at++) {
        for (size_t b = 0; b < sizeof bytes; b++) {
            struct fp_model *m = NULL;
            struct fp_error err = {0};
            memcpy(copy, shop, len);
            copy[at] = bytes[b];
            if (model_load_buffer("m.yaml", copy, len, &m, &err) < 0)
                located &= err.located && strncmp(err.msg, "m.yaml:", 7) == 0;
            model_free(m);
        }
    }
    CHECK(located);
    free(copy);
}

static void free_null(void)
{
    model_free(NULL);
}

CHECK_MAIN(
    /* not a model */
    TEST(bad_empty_file), TEST(bad_only_comments), TEST(bad_only_document_marker),
    TEST(bad_top_scalar), TEST(bad_top_sequence), TEST(bad_not_yaml_flow), TEST(bad_not_yaml_colon),
    TEST(bad_unterminated_quote), TEST(bad_indentation), TEST(bad_tab_indentation),
    TEST(bad_tab_after_spaces), TEST(bad_tab_after_dash), TEST(bad_anchor), TEST(bad_alias),
    TEST(bad_tag), TEST(bad_two_documents), TEST(bad_nul_escape), TEST(bad_nul_byte_in_file),
    TEST(bad_invalid_utf8), TEST(bad_control_character), TEST(bad_deep_nesting),
    TEST(bad_buffer_too_large),
    /* top level */
    TEST(bad_missing_version), TEST(bad_version_key_typo), TEST(bad_version_key_case),
    TEST(bad_version_3), TEST(bad_version_float), TEST(bad_version_quoted), TEST(bad_version_word),
    TEST(bad_version_list), TEST(bad_version_empty), TEST(bad_missing_tables),
    TEST(bad_tables_null), TEST(bad_tables_empty), TEST(bad_tables_sequence),
    TEST(bad_top_key_typo), TEST(bad_top_key_table_key), TEST(bad_top_key_unknown),
    TEST(bad_top_key_duplicate), TEST(bad_schema_list), TEST(bad_schema_empty),
    /* tables */
    TEST(bad_table_name_integer), TEST(bad_table_name_boolean), TEST(bad_table_name_empty),
    TEST(bad_table_name_mapping), TEST(bad_table_name_no_schema), TEST(bad_table_name_no_table),
    TEST(bad_table_description_string), TEST(bad_table_description_sequence),
    TEST(bad_duplicate_table), TEST(bad_duplicate_table_default_schema),
    TEST(bad_duplicate_table_schema_given_last), TEST(bad_table_key_typo), TEST(bad_table_key_case),
    TEST(bad_table_key_alias), TEST(bad_table_key_unknown), TEST(bad_table_key_schema),
    TEST(bad_table_key_from_fk), TEST(bad_table_key_duplicate), TEST(bad_primary_key_composite),
    TEST(bad_primary_key_mapping), TEST(bad_primary_key_integer), TEST(bad_primary_key_empty),
    TEST(bad_foreign_keys_mapping), TEST(bad_foreign_keys_null), TEST(bad_foreign_key_string),
    TEST(bad_foreign_key_sequence), TEST(bad_table_key_singular), TEST(bad_long_name_is_cut),
    /* foreign keys */
    TEST(bad_fk_key_typo), TEST(bad_fk_key_typo_column_last), TEST(bad_fk_key_abbreviation),
    TEST(bad_fk_key_from_table), TEST(bad_fk_key_duplicate), TEST(bad_fk_missing_column),
    TEST(bad_fk_missing_references), TEST(bad_fk_missing_on_delete), TEST(bad_fk_empty_mapping),
    TEST(bad_fk_column_integer), TEST(bad_fk_column_empty), TEST(bad_fk_references_sequence),
    TEST(bad_fk_references_empty), TEST(bad_fk_policy_typo), TEST(bad_fk_policy_mixed_case),
    TEST(bad_fk_policy_mapping), TEST(bad_fk_policy_empty), TEST(bad_fk_policy_django_typo),
    TEST(bad_fk_policy_django_qualified), TEST(bad_fk_policy_sequence), TEST(bad_fk_to_column_list),
    TEST(bad_fk_to_column_empty), TEST(bad_fk_nullable_yes), TEST(bad_fk_nullable_quoted),
    TEST(bad_fk_nullable_mapping), TEST(bad_fk_set_null_not_nullable),
    TEST(bad_fk_set_null_not_nullable_django), TEST(bad_fk_default_not_set_default),
    TEST(bad_fk_default_null), TEST(bad_fk_default_sequence), TEST(bad_fk_duplicate_column),
    TEST(bad_fk_unknown_table), TEST(bad_fk_unknown_table_two_typos),
    TEST(bad_fk_unknown_table_far), TEST(bad_fk_unknown_table_case),
    TEST(bad_fk_unknown_qualified_table), TEST(bad_fk_unknown_schema), TEST(bad_fk_keyless_parent),
    TEST(bad_fk_keyless_parent_by_primary_key), TEST(bad_fk_hostile_name),
    /* version 2 */
    TEST(bad_v1_columns), TEST(bad_v1_column_list), TEST(bad_v1_to_columns),
    TEST(bad_v2_pk_empty_list), TEST(bad_v2_pk_twice), TEST(bad_v2_pk_element_integer),
    TEST(bad_v2_column_and_columns), TEST(bad_v2_arity), TEST(bad_v2_arity_single_parent),
    TEST(bad_v2_to_columns_arity), TEST(bad_v2_composite_default), TEST(good_composite),
    /* files */
    TEST(file_missing), TEST(file_is_directory), TEST(file_endless_stream), TEST(file_too_large),
    TEST(file_at_limit_loads), TEST(file_loads_and_keeps_text), TEST(file_error_names_file),
    /* good models */
    TEST(good_spec_shop), TEST(good_schema_split), TEST(good_default_schema_after_tables),
    TEST(good_to_column_nullable_default), TEST(good_django_spellings),
    TEST(good_null_table_description), TEST(good_hostile_names),
    TEST(good_block_style_any_key_order), TEST(good_yaml_variants), TEST(good_find_table),
    TEST(good_large_model), TEST(robust_prefixes_and_mutations), TEST(free_null))
