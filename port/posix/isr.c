/*
 * Interrupt context for the FreeRTOS POSIX port.
 *
 * The port's only "interrupt" is the tick (SIGALRM on the running task's
 * thread). The tick hook is where the simulator delivers host I/O readiness
 * (port/posix/net.rs), so it marks itself as interrupt context; the port
 * itself has no xPortIsInsideInterrupt, which the Rust layer needs to pick
 * the FromISR variants.
 */
#include "FreeRTOS.h"
#include "task.h"

static __thread volatile BaseType_t xInsideTickHook = pdFALSE;

extern void isere_posix_tick_isr( void );

void vApplicationTickHook( void )
{
    xInsideTickHook = pdTRUE;
    isere_posix_tick_isr();
    xInsideTickHook = pdFALSE;
}

BaseType_t xPortIsInsideInterrupt( void )
{
    return xInsideTickHook;
}
