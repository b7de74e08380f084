//  zs_taskfiles - see zs_taskfiles.h

#include "agent/zs_taskfiles.h"

#include <ftw.h>
#include <errno.h>
#include <fcntl.h>
#include <czmq.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ZS_TASKFILES_INDEX      "index.json"
#define ZS_TASKFILES_CHECKPOINT "checkpoint"
#define ZS_TASKFILES_TEMPLATE   "zswarm-task-XXXXXX"

//  An owned "NAME=PREFIX/SUFFIX"
static char *
s_entry(const char *name, const char *prefix, const char *suffix)
{
    char entry[PATH_MAX + 64];
    snprintf(entry, sizeof entry, "%s=%s%s%s", name, prefix, suffix[0] ? "/" : "",
             suffix);
    return zs_strdup(entry);
}

//  Write size bytes of data to name in self's directory, readable by the owner alone
static int
s_write(zs_taskfiles_t *self,
        const char *name,
        const void *data,
        size_t size,
        zs_error_t *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", self->dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    size_t done = 0;
    while (fd >= 0 && done < size) {
        ssize_t put = write(fd, (const uint8_t *) data + done, size - done);
        if (put < 0 && errno != EINTR) {
            break;
        }
        done += put > 0 ? (size_t) put : 0;
    }
    int saved = errno;
    if (fd >= 0 && close(fd) != 0 && done == size) {
        done = size + 1;  //  the close reported a write that failed
        saved = errno;
    }
    if (fd < 0 || done != size) {
        return zs_error_set(err, -1, "cannot write '%s': %s", path, strerror(saved));
    }
    return 0;
}

static int
s_inputs(zs_taskfiles_t *self, const zs_msg_t *assign, zs_error_t *err)
{
    json_t *index = json_array();
    int rc = 0;
    for (size_t i = 0; i < assign->input_count && rc == 0; i++) {
        const zs_msg_input_t *input = &assign->input_records[i];
        char file[32];
        snprintf(file, sizeof file, "input-%zu", i + 1);
        json_array_append_new(index,
                              json_pack("{s:s, s:s, s:I, s:s}", "task", input->task,
                                        "status", input->status, "exit",
                                        (json_int_t) input->exit, "file", file));
        rc = s_write(self, file, input->out, input->out_size, err);
    }
    char *text = rc == 0 ? json_dumps(index, JSON_COMPACT) : NULL;
    if (rc == 0) {
        rc = s_write(self, ZS_TASKFILES_INDEX, text, strlen(text), err);
    }
    free(text);
    json_decref(index);
    if (rc == 0) {
        self->env[self->env_count++] = s_entry("ZSWARM_INPUTS", self->dir, "");
    }
    return rc;
}

static int
s_checkpoint(zs_taskfiles_t *self, const zs_msg_t *assign, zs_error_t *err)
{
    int rc = s_write(self, ZS_TASKFILES_CHECKPOINT, assign->ckpt, assign->ckpt_size, err);
    if (rc == 0) {
        self->env[self->env_count++] =
            s_entry("ZSWARM_CHECKPOINT", self->dir, ZS_TASKFILES_CHECKPOINT);
    }
    return rc;
}

int
zs_taskfiles_write(zs_taskfiles_t *self, const zs_msg_t *assign, zs_error_t *err)
{
    assert(self);
    assert(assign);
    assert(!self->dir);
    if (assign->input_count == 0 && !assign->ckpt) {
        return 0;
    }
    const char *tmp = getenv("TMPDIR");
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/" ZS_TASKFILES_TEMPLATE, tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        return zs_error_set(err, -1, "cannot make a directory like '%s': %s", dir,
                            strerror(errno));
    }
    self->dir = zs_strdup(dir);
    int rc = assign->input_count ? s_inputs(self, assign, err) : 0;
    rc = rc == 0 && assign->ckpt ? s_checkpoint(self, assign, err) : rc;
    if (rc != 0) {
        zs_taskfiles_remove(self);
    }
    return rc;
}

//  nftw's visit: each entry goes, depth first, so a directory is empty when its turn
//  comes; symbolic links are removed, never followed (FTW_PHYS)
static int
s_remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st;
    (void) flag;
    (void) ftw;
    remove(path);
    return 0;
}

void
zs_taskfiles_remove(zs_taskfiles_t *self)
{
    assert(self);
    if (self->dir) {
        //  The task may have added files and directories of its own: all of them go
        nftw(self->dir, s_remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
        if (access(self->dir, F_OK) == 0) {
            char path[PATH_MAX * 4 + 1];
            zsys_warning("cannot remove task directory '%s' whole",
                         zs_sanitize_str(path, sizeof path, self->dir));
        }
        free(self->dir);
    }
    for (size_t i = 0; i < self->env_count; i++) {
        free(self->env[i]);
    }
    memset(self, 0, sizeof *self);
}
