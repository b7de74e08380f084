//  zswarm-task - what an exec task asks its agent, from a shell; see docs/task.md

#include <czmq.h>
#include <signal.h>

#include "common/zs_util.h"
#include "task/zs_taskctl.h"

int
main(int argc, char **argv)
{
    //  A closed channel must be an error we report (EPIPE), not a silent death
    signal(SIGPIPE, SIG_IGN);
    zs_taskctl_streams_t streams = {stdin, stdout, stderr};
    int code = zs_taskctl_run(argc, argv, &streams);
    if (fflush(stdout) != 0 && code == ZS_TASKCTL_EXIT_OK) {
        fprintf(stderr, "zswarm-task: cannot write output\n");
        code = ZS_TASKCTL_EXIT_REFUSED;
    }
    return code;
}
