//  zswarmctl - drive a running zswarmd from the command line; see docs/ctl.md

#include <czmq.h>

#include "ctl/zs_ctl.h"
#include "common/zs_util.h"

int
main(int argc, char **argv)
{
    //  czmq's default SIGINT handler would keep Ctrl-C from stopping a long `wait`:
    //  turn it off before zs_log_init starts czmq
    zsys_handler_set(NULL);
    zs_log_init("zswarmctl");
    zs_ctl_streams_t streams = {stdin, stdout, stderr};
    int code = zs_ctl_run(argc, argv, &streams);
    //  A result that never reached its reader is a failure, not a success
    if (fflush(stdout) != 0 && code == ZS_CTL_EXIT_OK) {
        fprintf(stderr, "zswarmctl: cannot write output\n");
        code = ZS_CTL_EXIT_USAGE;
    }
    return code;
}
