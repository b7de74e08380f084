//  zs_dlorder - see zs_dlorder.h

#include "agent/zs_dlorder.h"
#include "agent/zs_url.h"

#include <ctype.h>
#include <czmq.h>
#include <curl/curl.h>
#include <jansson.h>
#include <string.h>

#define ZS_DLORDER_SAMPLE_MAX 96  //  bytes of a bad key quoted in a reason

void
zs_dlorder_fini(zs_dlorder_t *order)
{
    assert(order);
    free(order->url);
    free(order->path);
    memset(order, 0, sizeof *order);
}

static int
s_sha256(zs_dlorder_t *order, json_t *value, zs_error_t *err)
{
    const char *hex = json_string_value(value);
    //  The length too, as s_string checks it: no NUL may hide more after the digits
    if (!hex || json_string_length(value) != ZS_DLHASH_HEX || !zs_dlhash_hex_valid(hex)) {
        return zs_error_set(err, 0, "sha256 must be %d hex digits", ZS_DLHASH_HEX);
    }
    for (size_t i = 0; i < ZS_DLHASH_HEX; i++) {
        order->sha256[i] = (char) tolower((unsigned char) hex[i]);
    }
    order->sha256[ZS_DLHASH_HEX] = '\0';
    order->has_sha256 = true;
    return 0;
}

static int
s_string(char **field, json_t *value, const char *key, zs_error_t *err)
{
    const char *text = json_string_value(value);
    if (!text || strlen(text) != json_string_length(value)) {
        return zs_error_set(err, 0, "%s must be a string", key);
    }
    *field = zs_strdup(text);
    return 0;
}

static int
s_key(zs_dlorder_t *order, const char *key, json_t *value, zs_error_t *err)
{
    char sample[ZS_DLORDER_SAMPLE_MAX];
    if (streq(key, "url")) {
        return s_string(&order->url, value, key, err);
    }
    if (streq(key, "path")) {
        return s_string(&order->path, value, key, err);
    }
    if (streq(key, "sha256")) {
        return s_sha256(order, value, err);
    }
    if (streq(key, "size") && json_is_integer(value) && json_integer_value(value) >= 0) {
        order->size = (uint64_t) json_integer_value(value);
        order->has_size = true;
        return 0;
    }
    if (streq(key, "size")) {
        return zs_error_set(err, 0, "size must be an integer >= 0");
    }
    return zs_error_set(err, 0, "unknown key '%s'",
                        zs_sanitize_str(sample, sizeof sample, key));
}

static int
s_object(zs_dlorder_t *order, json_t *root, zs_error_t *err)
{
    if (!json_is_object(root)) {
        return zs_error_set(err, 0, "must be a JSON object or a URL");
    }
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value)
    {
        if (s_key(order, key, value, err) != 0) {
            return -1;
        }
    }
    return order->url ? 0 : zs_error_set(err, 0, "url is required");
}

int
zs_dlorder_parse(zs_dlorder_t *order,
                 const uint8_t *payload,
                 size_t size,
                 zs_error_t *err)
{
    memset(order, 0, sizeof *order);
    order->url = zs_url_payload_url(payload, size);
    if (order->url) {
        return 0;
    }
    json_error_t jerr;
    json_t *root =
        json_loadb((const char *) payload, size, JSON_REJECT_DUPLICATES, &jerr);
    int rc =
        root ? s_object(order, root, err)
             : zs_error_set(err, 0, "not JSON: %s at byte %d", jerr.text, jerr.position);
    json_decref(root);
    if (rc != 0) {
        zs_dlorder_fini(order);
    }
    return rc;
}

char *
zs_dlorder_name(const char *url)
{
    CURLU *handle = curl_url();
    char *path = NULL, *name = NULL;
    if (handle && curl_url_set(handle, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(handle, CURLUPART_PATH, &path, 0) == CURLUE_OK) {
        const char *slash = strrchr(path, '/');
        const char *last = slash ? slash + 1 : path;
        name = last[0] ? zs_strdup(last) : NULL;
    }
    curl_free(path);
    curl_url_cleanup(handle);
    return name;
}
