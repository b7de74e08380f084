//  fuzz_swarm - libFuzzer target: the swarm-file loader, YAML text to a zs_swarm_t
//
//  Any text goes to zs_swarm_parse, the loader zs_swarm_load reads files with. A text
//  it refuses must get the error zs_swarm.h and zs_yaml.h describe: a load code, the
//  source's name, line and column, and printable text whatever the file held, because
//  zswarmd prints it as it is. A swarm it accepts must keep the invariants zswarmd relies
//  on without checking again: a name and agent types, types found by their names,
//  backoff bounds in order, ring stages only for a ring, and every workflow step after
//  the steps it waits for.

#include "tests/fuzz/zs_fuzz.h"
#include "coordinator/swarm/zs_swarm.h"

#include <string.h>

#define S_PATH "fuzz.yaml"  //  the name errors must start with

static void
s_check_error(const zs_error_t *err)
{
    size_t line = 0, column = 0;
    int at = 0;
    bool placed = sscanf(err->text, S_PATH ":%zu:%zu: %n", &line, &column, &at) == 2 &&
                  at > 0 && line > 0 && column > 0;
    if (err->code != ZS_SWARM_E_SYNTAX && err->code != ZS_SWARM_E_INVALID) {
        zs_fuzz_fail("load code %d for: %s", err->code, err->text);
    }
    if (!placed || err->text[at] == '\0') {
        zs_fuzz_fail("error without 'PATH:LINE:COL: message': %s", err->text);
    }
    //  zs_yaml_sample escapes all but printable ASCII, so any other byte is file
    //  content that reached the message unescaped
    for (const char *at_byte = err->text; *at_byte; at_byte++) {
        unsigned char byte = (unsigned char) *at_byte;
        if (byte < 0x20 || byte >= 0x7f) {
            zs_fuzz_fail("error with byte 0x%02x: %s", byte, err->text);
        }
    }
}

static void
s_check_supervision(const zs_supervision_t *sup, const char *where)
{
    if (sup->backoff_min_ms > sup->backoff_max_ms) {
        zs_fuzz_fail("%s: backoff %u..%u ms", where, sup->backoff_min_ms,
                     sup->backoff_max_ms);
    }
}

//  Every step waits only for steps before it, so submitting in order never names a
//  task that does not exist yet
static void
s_check_workflow(const zs_workflow_t *workflow)
{
    for (size_t i = 0; i < workflow->count; i++) {
        const zs_workflow_step_t *step = &workflow->steps[i];
        for (size_t d = 0; d < step->dep_count; d++) {
            size_t found = 0;
            while (found < i && strcmp(workflow->steps[found].id, step->deps[d]) != 0) {
                found++;
            }
            if (found == i) {
                zs_fuzz_fail("workflow step '%s' comes before its dependency '%s'",
                             step->id, step->deps[d]);
            }
        }
    }
}

static void
s_check_swarm(const zs_swarm_t *swarm)
{
    if (!swarm->name || swarm->type_count == 0 || !swarm->types) {
        zs_fuzz_fail("a swarm without a name or agent types");
    }
    if (swarm->ring_count > 0 && swarm->topology != ZS_TOPOLOGY_RING) {
        zs_fuzz_fail("%zu ring stages in a topology other than ring", swarm->ring_count);
    }
    s_check_supervision(&swarm->supervision, "top level");
    for (size_t i = 0; i < swarm->type_count; i++) {
        const zs_swarm_type_t *type = &swarm->types[i];
        if (zs_swarm_type_find(swarm, type->type) != type) {
            zs_fuzz_fail("agent type '%s' is not found by its name", type->type);
        }
        s_check_supervision(&type->supervision, type->type);
        for (size_t p = 0; p < type->place_count; p++) {
            zs_swarm_node_total(swarm, type->places[p].node);
        }
    }
    s_check_workflow(&swarm->workflow);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    zs_fuzz_init(ZS_FUZZ_LOGS_SHOWN);
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    zs_error_t err = {.code = 0};
    zs_swarm_t *swarm = zs_swarm_parse((const char *) data, size, S_PATH, &err);
    if (swarm) {
        s_check_swarm(swarm);
    } else {
        s_check_error(&err);
    }
    zs_swarm_destroy(&swarm);
    return 0;
}
