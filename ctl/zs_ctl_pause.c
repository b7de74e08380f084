//  zs_ctl_pause - zswarmctl broadcast, pause and resume: what zswarmd tells its agents
//  (docs/ctl.md, PROTOCOL.md §8)
//
//    broadcast [--type T] TEXT|-   to every agent, or those of type T ('-': stdin)
//    pause AGENT | --type T        no new tasks for the agent, or the type's agents
//    resume AGENT | --type T       new tasks again

#include "ctl/zs_ctl_private.h"

#include <inttypes.h>

const zs_opts_option_t zs_ctl_pause_options[ZS_CTL_PAUSE_OPTIONS] = {
    {"--type", NULL, ZS_OPTS_STRING, ZS_OPTS_OPTIONAL, ZS_CTL_OFF(type), 0, 0, "T",
     "only the agents of type T"},
};

static void
s_show_count(const zs_msg_t *reply, FILE *stream)
{
    const char *done = reply->type == ZS_MSG_BROADCAST_OK ? "broadcast to"
                       : reply->type == ZS_MSG_PAUSE_OK   ? "paused"
                                                          : "resumed";
    fprintf(stream, "%s %" PRIu64 " agent%s\n", done, reply->count,
            reply->count == 1 ? "" : "s");
}

int
zs_ctl_broadcast_check(zs_ctl_run_t *self)
{
    if (self->type && zs_ctl_check_id(self, "--type", self->type) != 0) {
        return -1;
    }
    //  TEXT, or '-' for the in stream, as submit's --payload
    self->payload = self->operands[0];
    if (zs_ctl_read_payload(self, &self->payload_data, &self->payload_size) != 0) {
        return -1;
    }
    return self->payload_size ? 0 : zs_ctl_say(self, -1, "broadcast: nothing to send");
}

int
zs_ctl_broadcast_run(zs_ctl_run_t *self)
{
    zs_msg_t request;
    zs_msg_init(&request, ZS_MSG_BROADCAST);
    request.payload = self->payload_data;
    request.payload_size = self->payload_size;
    request.atype = self->type;
    return zs_ctl_run_shown(self, &request, s_show_count);
}

int
zs_ctl_pause_check(zs_ctl_run_t *self)
{
    if ((self->operand_count == 1) == (self->type != NULL)) {
        return zs_ctl_say(self, -1, "expected an agent id or --type T, not both");
    }
    return self->type ? zs_ctl_check_id(self, "--type", self->type)
                      : zs_ctl_check_id(self, "agent id", self->operands[0]);
}

static int
s_pause_run(zs_ctl_run_t *self, zs_msg_type_t type)
{
    zs_msg_t request;
    zs_msg_init(&request, type);
    request.agent = self->operand_count ? self->operands[0] : NULL;
    request.atype = self->type;
    return zs_ctl_run_shown(self, &request, s_show_count);
}

int
zs_ctl_pause_run(zs_ctl_run_t *self)
{
    return s_pause_run(self, ZS_MSG_PAUSE);
}

int
zs_ctl_resume_run(zs_ctl_run_t *self)
{
    return s_pause_run(self, ZS_MSG_RESUME);
}
