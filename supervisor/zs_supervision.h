//  zs_supervision - how the processes of one agent type are supervised: the restart
//  strategy and type, backoff and intensity of an Erlang/OTP supervisor
//
//  Only types and constants: the swarm file fills a zs_supervision_t per agent type
//  (its 'supervision' keys, docs/swarm-file.md) and zs_spawn runs it, so neither has to
//  include the other's header for it.

#ifndef ZS_SUPERVISION_H
#define ZS_SUPERVISION_H

//  Defaults (a swarm file without the key) and bounds (what a swarm file may set)
#define ZS_SUP_DEFAULT_BACKOFF_MIN_MS 100     //  first restart delay of a local agent
#define ZS_SUP_DEFAULT_BACKOFF_MAX_MS 5000    //  longest restart delay
#define ZS_SUP_DEFAULT_MAX_RESTARTS   10      //  restarts of a type allowed per window
#define ZS_SUP_DEFAULT_WITHIN_S       60      //  that window, in seconds
#define ZS_SUP_BACKOFF_MAX_MS         600000  //  largest bound in 'backoff_ms'
#define ZS_SUP_MAX_RESTARTS           1000    //  largest 'max_restarts'
#define ZS_SUP_WITHIN_MAX_S           86400   //  largest 'within_s': a day

//  Which children of a type restart when one of them exits and is to be restarted
typedef enum {
    ZS_SUP_ONE_FOR_ONE,   //  only that child
    ZS_SUP_ONE_FOR_ALL,   //  every running child of the type: the others are terminated
    ZS_SUP_REST_FOR_ONE,  //  that child and the running ones after it (higher slots)
} zs_sup_strategy_t;

//  Whether a child that exited is restarted at all
typedef enum {
    ZS_SUP_PERMANENT,  //  always
    ZS_SUP_TRANSIENT,  //  only after a crash: an exit code other than 0, or a signal
    ZS_SUP_TEMPORARY,  //  never: its slot ends
} zs_sup_restart_t;

//  How the local processes of one agent type are supervised (zs_spawn.h runs it)
typedef struct {
    zs_sup_strategy_t strategy;  //  which children restart together
    zs_sup_restart_t restart;    //  whether an exited child restarts
    unsigned backoff_min_ms;     //  first restart delay, doubled per quick exit
    unsigned backoff_max_ms;     //  cap of that delay; backoff_min_ms <= backoff_max_ms
    unsigned max_restarts;       //  restarts allowed within within_s; one more fails
    unsigned within_s;           //  the intensity window, in seconds
} zs_supervision_t;

//  The supervision of a type nothing configures, as an initializer
// clang-format off
#define ZS_SUP_DEFAULT                                                                   \
    {ZS_SUP_ONE_FOR_ONE, ZS_SUP_PERMANENT, ZS_SUP_DEFAULT_BACKOFF_MIN_MS,                \
     ZS_SUP_DEFAULT_BACKOFF_MAX_MS, ZS_SUP_DEFAULT_MAX_RESTARTS, ZS_SUP_DEFAULT_WITHIN_S}
// clang-format on

#endif
