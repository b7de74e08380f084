//  zs_yaml - see zs_yaml.h

#include "coordinator/swarm/zs_yaml.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

//  ---------------------------------------------------------------------------------------
//  Errors

int
zs_yaml_fail(zs_yaml_t *self, yaml_mark_t mark, const char *format, ...)
{
    char message[ZS_ERROR_TEXT_MAX];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    return zs_error_set(self->err, self->code, "%s:%zu:%zu: %s", self->path,
                        mark.line + 1, mark.column + 1, message);
}

zs_yaml_sample_t
zs_yaml_sample(const void *text, size_t size)
{
    zs_yaml_sample_t sample;
    zs_sanitize(sample.text, sizeof sample.text, text, size);
    return sample;
}

static void
s_oom(void)
{
    fprintf(stderr, "zswarm: out of memory in libyaml\n");
    abort();
}

//  The reader fails on bad encoding before it has a mark: count lines up to the offset
static yaml_mark_t
s_mark_at(const zs_yaml_t *self, size_t offset)
{
    yaml_mark_t mark = {offset, 0, 0};
    for (size_t i = 0; i < offset && i < self->size; i++) {
        mark.line += self->text[i] == '\n';
        mark.column = self->text[i] == '\n' ? 0 : mark.column + 1;
    }
    return mark;
}

static int
s_fail_yaml(zs_yaml_t *self, const yaml_parser_t *parser)
{
    if (parser->error == YAML_MEMORY_ERROR) {
        s_oom();
    }
    yaml_mark_t mark = parser->error == YAML_READER_ERROR
                           ? s_mark_at(self, parser->problem_offset)
                           : parser->problem_mark;
    const char *problem = parser->problem ? parser->problem : "cannot parse";
    if (!parser->context) {
        return zs_yaml_fail(self, mark, "invalid YAML: %s", problem);
    }
    return zs_yaml_fail(self, mark, "invalid YAML: %s (%s at %zu:%zu)", problem,
                        parser->context, parser->context_mark.line + 1,
                        parser->context_mark.column + 1);
}

//  ---------------------------------------------------------------------------------------
//  Screening: one pass over the events, before any tree exists

static int
s_screen_event(zs_yaml_t *self, const yaml_event_t *event, int *depth, int *documents)
{
    yaml_event_type_t type = event->type;
    bool opens = type == YAML_SEQUENCE_START_EVENT || type == YAML_MAPPING_START_EVENT;
    bool closes = type == YAML_SEQUENCE_END_EVENT || type == YAML_MAPPING_END_EVENT;
    //  The scalar, sequence_start and mapping_start members of the union all begin
    //  with anchor and tag, so one read serves the three events that can carry them
    bool node = opens || type == YAML_SCALAR_EVENT;
    const char *anchor = node ? (const char *) event->data.scalar.anchor : NULL;
    const char *tag = node ? (const char *) event->data.scalar.tag : NULL;
    const char *alias =
        type == YAML_ALIAS_EVENT ? (const char *) event->data.alias.anchor : NULL;
    yaml_mark_t mark = event->start_mark;
    *depth += opens - closes;
    *documents += type == YAML_DOCUMENT_START_EVENT;
    if (alias || anchor || tag) {
        const char *what = alias ? "alias '*" : anchor ? "anchor '&" : "tag '";
        const char *name = alias ? alias : anchor ? anchor : tag;
        return zs_yaml_fail(self, mark, "%s%s' is not supported in swarm files", what,
                            zs_yaml_sample(name, strlen(name)).text);
    }
    if (*documents > 1) {
        return zs_yaml_fail(self, mark, "expected one YAML document, found a second one");
    }
    if (*depth > ZS_YAML_DEPTH_MAX) {
        return zs_yaml_fail(self, mark, "nesting deeper than %d levels",
                            ZS_YAML_DEPTH_MAX);
    }
    return 0;
}

static void
s_parser_init(zs_yaml_t *self, yaml_parser_t *parser)
{
    if (!yaml_parser_initialize(parser)) {
        s_oom();
    }
    yaml_parser_set_input_string(parser, (const unsigned char *) self->text, self->size);
}

static int
s_screen(zs_yaml_t *self)
{
    yaml_parser_t parser;
    s_parser_init(self, &parser);
    int depth = 0, documents = 0, rc = 0;
    bool done = false;
    while (rc == 0 && !done) {
        yaml_event_t event;
        if (!yaml_parser_parse(&parser, &event)) {
            rc = s_fail_yaml(self, &parser);
            break;
        }
        rc = s_screen_event(self, &event, &depth, &documents);
        done = event.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&event);
    }
    yaml_parser_delete(&parser);
    return rc;
}

//  libyaml frees a half-built document itself when loading fails
static int
s_compose(zs_yaml_t *self)
{
    yaml_parser_t parser;
    s_parser_init(self, &parser);
    self->loaded = yaml_parser_load(&parser, &self->document) != 0;
    int rc = self->loaded ? 0 : s_fail_yaml(self, &parser);
    yaml_parser_delete(&parser);
    return rc;
}

//  ---------------------------------------------------------------------------------------
//  The text and its tree

void
zs_yaml_init(
    zs_yaml_t *self, const char *text, size_t size, const char *path, zs_error_t *err)
{
    assert(self);
    assert(text);
    assert(path);
    *self = (zs_yaml_t){.text = text, .size = size, .path = path, .err = err};
}

void
zs_yaml_fini(zs_yaml_t *self)
{
    assert(self);
    if (self->loaded) {
        yaml_document_delete(&self->document);
        self->loaded = false;
    }
}

int
zs_yaml_load(zs_yaml_t *self)
{
    assert(self);
    assert(!self->loaded);
    return s_screen(self) != 0 || s_compose(self) != 0 ? -1 : 0;
}

yaml_node_t *
zs_yaml_root(zs_yaml_t *self)
{
    assert(self);
    assert(self->loaded);
    return yaml_document_get_root_node(&self->document);
}

yaml_node_t *
zs_yaml_node(zs_yaml_t *self, int index)
{
    return yaml_document_get_node(&self->document, index);
}

const yaml_node_t *
zs_yaml_map_value(zs_yaml_t *self, const yaml_node_t *map, const char *name)
{
    for (yaml_node_pair_t *pair = map ? map->data.mapping.pairs.start : NULL;
         pair && pair < map->data.mapping.pairs.top; pair++) {
        const yaml_node_t *key = zs_yaml_node(self, pair->key);
        if (key->type == YAML_SCALAR_NODE &&
            strcmp((const char *) key->data.scalar.value, name) == 0) {
            return zs_yaml_node(self, pair->value);
        }
    }
    return NULL;
}

//  ---------------------------------------------------------------------------------------
//  Scalars

void *
zs_yaml_field(void *target, const zs_yaml_key_t *key)
{
    return (char *) target + key->offset;
}

//  The text of a plain (unquoted) scalar, or NULL
static const char *
s_plain(const yaml_node_t *node)
{
    bool plain = node->type == YAML_SCALAR_NODE &&
                 node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    return plain ? (const char *) node->data.scalar.value : NULL;
}

//  YAML's null: nothing, ~ or null, unquoted
static bool
s_is_null(const yaml_node_t *node)
{
    const char *text = s_plain(node);
    return text && (!*text || strcmp(text, "~") == 0 || strcasecmp(text, "null") == 0);
}

//  Digits with an optional minus, so "-1" is out of range rather than not a number
static bool
s_is_decimal(const char *text)
{
    text += *text == '-';
    return *text && strspn(text, "0123456789") == strlen(text);
}

const char *
zs_yaml_string(zs_yaml_t *self, const yaml_node_t *node, const char *name, size_t *len_p)
{
    if (node->type != YAML_SCALAR_NODE || s_is_null(node)) {
        zs_yaml_fail(self, node->start_mark, "expected string for '%s'", name);
        return NULL;
    }
    const char *text = (const char *) node->data.scalar.value;
    *len_p = node->data.scalar.length;
    if (memchr(text, '\0', *len_p)) {
        zs_yaml_fail(self, node->start_mark, "string for '%s' contains a NUL byte", name);
        return NULL;
    }
    return text;
}

void
zs_yaml_store_string(void *target, const zs_yaml_key_t *key, const yaml_node_t *node)
{
    char **slot = zs_yaml_field(target, key);
    free(*slot);
    *slot = zs_strndup((const char *) node->data.scalar.value, node->data.scalar.length);
}

//  An unquoted decimal in key->min..key->max, into *value
static int
s_read_integer(zs_yaml_t *self,
               const zs_yaml_key_t *key,
               const yaml_node_t *node,
               int64_t *value)
{
    const char *text = s_plain(node);
    if (!text || !s_is_decimal(text)) {
        return zs_yaml_fail(self, node->start_mark, "expected integer for '%s'",
                            key->name);
    }
    if (zs_parse_int(text, key->min, key->max, value) != 0) {
        return zs_yaml_fail(self, node->start_mark,
                            "value %s for '%s' is out of range (expected %lld..%lld)",
                            zs_yaml_sample(text, strlen(text)).text, key->name,
                            (long long) key->min, (long long) key->max);
    }
    return 0;
}

int
zs_yaml_read_uint(zs_yaml_t *self,
                  const zs_yaml_key_t *key,
                  yaml_node_t *node,
                  void *target)
{
    int64_t value;
    if (s_read_integer(self, key, node, &value) != 0) {
        return -1;
    }
    *(unsigned *) zs_yaml_field(target, key) = (unsigned) value;
    return 0;
}

int
zs_yaml_read_size(zs_yaml_t *self,
                  const zs_yaml_key_t *key,
                  yaml_node_t *node,
                  void *target)
{
    int64_t value;
    if (s_read_integer(self, key, node, &value) != 0) {
        return -1;
    }
    *(size_t *) zs_yaml_field(target, key) = (size_t) value;
    return 0;
}

int
zs_yaml_read_u64(zs_yaml_t *self,
                 const zs_yaml_key_t *key,
                 yaml_node_t *node,
                 void *target)
{
    int64_t value;
    if (s_read_integer(self, key, node, &value) != 0) {
        return -1;
    }
    *(uint64_t *) zs_yaml_field(target, key) = (uint64_t) value;
    return 0;
}

//  Digits, then maybe '.' and digits: no sign, exponent, inf or nan, so that what
//  strtod reads is exactly what the file says
static bool
s_is_fixed_point(const char *text)
{
    size_t whole = strspn(text, "0123456789");
    if (whole == 0) {
        return false;
    }
    text += whole;
    if (*text == '.') {
        size_t fraction = strspn(text + 1, "0123456789");
        text += fraction ? fraction + 1 : 0;
    }
    return *text == '\0';
}

int
zs_yaml_read_number(zs_yaml_t *self,
                    const zs_yaml_key_t *key,
                    yaml_node_t *node,
                    void *target)
{
    const char *text = s_plain(node);
    if (!text || !s_is_fixed_point(text)) {
        return zs_yaml_fail(self, node->start_mark,
                            "expected a number such as 0.25 for '%s'", key->name);
    }
    double value = strtod(text, NULL);
    if (value < (double) key->min || value > (double) key->max) {
        return zs_yaml_fail(self, node->start_mark,
                            "value %s for '%s' is out of range (expected %lld..%lld)",
                            zs_yaml_sample(text, strlen(text)).text, key->name,
                            (long long) key->min, (long long) key->max);
    }
    *(double *) zs_yaml_field(target, key) = value;
    return 0;
}

int
zs_yaml_read_bool(zs_yaml_t *self,
                  const zs_yaml_key_t *key,
                  yaml_node_t *node,
                  void *target)
{
    const char *text = s_plain(node);
    bool yes = text && strcmp(text, "true") == 0;
    bool no = text && strcmp(text, "false") == 0;
    if (!yes && !no) {
        return zs_yaml_fail(self, node->start_mark, "expected true or false for '%s'",
                            key->name);
    }
    *(bool *) zs_yaml_field(target, key) = yes;
    return 0;
}

//  The choice the node names, or NULL after setting the error
static const zs_yaml_choice_t *
s_choose(zs_yaml_t *self, const zs_yaml_key_t *key, const yaml_node_t *node)
{
    const zs_yaml_choices_t *choices = key->arg;
    size_t len;
    const char *text = zs_yaml_string(self, node, key->name, &len);
    for (size_t i = 0; text && i < choices->count; i++) {
        if (strcmp(text, choices->items[i].word) == 0) {
            return &choices->items[i];
        }
    }
    if (text) {
        zs_yaml_fail(self, node->start_mark, "unknown %s '%s' (expected %s)", key->name,
                     zs_yaml_sample(text, len).text, choices->expected);
    }
    return NULL;
}

int
zs_yaml_read_enum(zs_yaml_t *self,
                  const zs_yaml_key_t *key,
                  yaml_node_t *node,
                  void *target)
{
    const zs_yaml_choice_t *choice = s_choose(self, key, node);
    if (!choice) {
        return -1;
    }
    *(int *) zs_yaml_field(target, key) = choice->value;
    return 0;
}

//  ---------------------------------------------------------------------------------------
//  Mappings and sequences

//  Lists the keys the table knows, so a typo's error shows the right spelling
static int
s_fail_unknown(zs_yaml_t *self, const zs_yaml_table_t *table, const yaml_node_t *name)
{
    char expected[ZS_ERROR_TEXT_MAX] = "";
    size_t at = 0;
    for (size_t i = 0; i < table->count && at < sizeof expected; i++) {
        at += (size_t) snprintf(expected + at, sizeof expected - at, "%s%s",
                                i ? ", " : "", table->keys[i].name);
    }
    return zs_yaml_fail(
        self, name->start_mark, "unknown key '%s' %s (expected one of: %s)",
        zs_yaml_sample(name->data.scalar.value, name->data.scalar.length).text,
        table->label, expected);
}

//  Index of the key the node names in the table, or -1 after setting the error
static int
s_key_find(zs_yaml_t *self, const zs_yaml_table_t *table, const yaml_node_t *name)
{
    if (name->type != YAML_SCALAR_NODE) {
        zs_yaml_fail(self, name->start_mark, "expected a string key %s", table->label);
        return -1;
    }
    for (size_t i = 0; i < table->count; i++) {
        //  by length too, so a quoted "name\0x" is not 'name'
        if (name->data.scalar.length == strlen(table->keys[i].name) &&
            strcmp((const char *) name->data.scalar.value, table->keys[i].name) == 0) {
            return (int) i;
        }
    }
    return s_fail_unknown(self, table, name);
}

int
zs_yaml_read_map(zs_yaml_t *self,
                 const zs_yaml_table_t *table,
                 const yaml_node_t *map,
                 void *target,
                 yaml_node_t **found)
{
    assert(table->count <= ZS_YAML_KEYS_MAX);
    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
         pair < map->data.mapping.pairs.top; pair++) {
        yaml_node_t *name = zs_yaml_node(self, pair->key);
        yaml_node_t *value = zs_yaml_node(self, pair->value);
        int index = s_key_find(self, table, name);
        if (index < 0) {
            return -1;
        }
        const zs_yaml_key_t *key = &table->keys[index];
        if (found[index]) {
            return zs_yaml_fail(self, name->start_mark, "duplicate key '%s' %s",
                                key->name, table->label);
        }
        found[index] = value;
        if (key->read(self, key, value, target) != 0) {
            return -1;
        }
    }
    for (size_t i = 0; i < table->count; i++) {
        if (table->keys[i].need == ZS_YAML_REQUIRED && !found[i]) {
            return zs_yaml_fail(self, map->start_mark, "missing required key '%s' %s",
                                table->keys[i].name, table->label);
        }
    }
    return 0;
}

int
zs_yaml_read_section(zs_yaml_t *self,
                     const zs_yaml_key_t *key,
                     yaml_node_t *node,
                     void *target)
{
    yaml_node_t *found[ZS_YAML_KEYS_MAX] = {0};
    if (node->type != YAML_MAPPING_NODE) {
        return zs_yaml_fail(self, node->start_mark, "expected mapping for '%s'",
                            key->name);
    }
    return zs_yaml_read_map(self, key->arg, node, zs_yaml_field(target, key), found);
}

int
zs_yaml_sequence(zs_yaml_t *self,
                 const zs_yaml_key_t *key,
                 const yaml_node_t *node,
                 size_t *count_p)
{
    if (node->type != YAML_SEQUENCE_NODE) {
        return zs_yaml_fail(self, node->start_mark, "expected sequence for '%s'",
                            key->name);
    }
    size_t count =
        (size_t) (node->data.sequence.items.top - node->data.sequence.items.start);
    if ((int64_t) count < key->min || (int64_t) count > key->max) {
        return zs_yaml_fail(self, node->start_mark,
                            "expected %lld..%lld items in '%s', found %zu",
                            (long long) key->min, (long long) key->max, key->name, count);
    }
    *count_p = count;
    return 0;
}

int
zs_yaml_read_strings(zs_yaml_t *self,
                     const zs_yaml_key_t *key,
                     const yaml_node_t *node,
                     zs_yaml_item_fn *check,
                     char ***list_p,
                     size_t *count_p)
{
    size_t count = 0;
    if (zs_yaml_sequence(self, key, node, &count) != 0) {
        return -1;
    }
    *list_p = zs_calloc(count + 1, sizeof(char *));
    for (size_t i = 0; i < count; i++) {
        const yaml_node_t *item = zs_yaml_node(self, node->data.sequence.items.start[i]);
        if (check(self, key, item) != 0) {
            return -1;
        }
        (*list_p)[i] =
            zs_strndup((const char *) item->data.scalar.value, item->data.scalar.length);
        (*count_p)++;
    }
    return 0;
}
