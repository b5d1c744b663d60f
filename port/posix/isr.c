/*
 * Interrupt context for the FreeRTOS POSIX port.
 *
 * The port's interrupts are signals handled on the thread of the running
 * task (every other task thread has all signals blocked):
 *
 * - SIGALRM, the tick, from the port itself; its tick hook is ours;
 * - SIGIO, our "network interrupt": host sockets are in O_ASYNC mode, so the
 *   host kernel raises it (process-directed) when a socket becomes readable,
 *   writable or closed, and only the running task's thread can take it.
 *
 * Both handlers mark themselves as interrupt context, which the port lacks
 * (xPortIsInsideInterrupt), so the Rust layer picks the FromISR calls.
 */
#include <signal.h>
#include "FreeRTOS.h"
#include "task.h"

static __thread volatile BaseType_t xInsideInterrupt = pdFALSE;

extern void isere_posix_tick_isr( void );
extern BaseType_t isere_posix_io_isr( void );

void vApplicationTickHook( void )
{
    xInsideInterrupt = pdTRUE;
    isere_posix_tick_isr();
    xInsideInterrupt = pdFALSE;
}

BaseType_t xPortIsInsideInterrupt( void )
{
    return xInsideInterrupt;
}

static void prvIoSignalHandler( int sig )
{
    BaseType_t xHigherPriorityTaskWoken;

    ( void ) sig;

    /* Before the scheduler runs (start-up on the main thread) there is no
     * task to wake; the first wait of each task tries its socket first. */
    if( xTaskGetSchedulerState() != taskSCHEDULER_RUNNING )
    {
        return;
    }

    xInsideInterrupt = pdTRUE;
    xHigherPriorityTaskWoken = isere_posix_io_isr();
    xInsideInterrupt = pdFALSE;
    portYIELD_FROM_ISR( xHigherPriorityTaskWoken );
}

/* Installs the SIGIO handler; returns 0 or -1 with errno set. */
int isere_posix_install_io_interrupt( void )
{
    struct sigaction xAction = { 0 };

    xAction.sa_handler = prvIoSignalHandler;
    sigfillset( &xAction.sa_mask );
    return sigaction( SIGIO, &xAction, NULL );
}
