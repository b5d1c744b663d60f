/*
 * The kernel API as plain functions for the Rust FFI layer (src/rtos/).
 *
 * Much of the FreeRTOS API is macros (critical sections, timer commands,
 * yield from ISR) whose expansion differs per port; wrapping them here keeps
 * the Rust side port-independent. The type-width checks make a mismatch
 * between the Rust declarations and a port's portmacro.h a compile error.
 */
#include "FreeRTOS.h"
#include "task.h"
#include "queue.h"
#include "semphr.h"
#include "timers.h"

/* src/rtos/mod.rs declares BaseType_t/UBaseType_t/TickType_t as C long. */
_Static_assert( sizeof( BaseType_t ) == ISERE_RUST_LONG_BYTES, "BaseType_t width differs from the Rust side" );
_Static_assert( sizeof( UBaseType_t ) == ISERE_RUST_LONG_BYTES, "UBaseType_t width differs from the Rust side" );
_Static_assert( sizeof( TickType_t ) == ISERE_RUST_LONG_BYTES, "TickType_t width differs from the Rust side" );

/* Sizes of the kernel's types as this port compiled them, for the Rust test. */
const unsigned char isere_rtos_type_sizes[ 5 ] = {
    sizeof( BaseType_t ), sizeof( UBaseType_t ), sizeof( TickType_t ),
    sizeof( StackType_t ), portBYTE_ALIGNMENT
};

const TickType_t isere_rtos_tick_rate_hz = configTICK_RATE_HZ;
const size_t isere_rtos_total_heap = configTOTAL_HEAP_SIZE;
const UBaseType_t isere_rtos_max_priorities = configMAX_PRIORITIES;

#ifdef ISERE_PORT_POSIX
    /* The POSIX port lacks it; port/posix/isr.c provides it. */
    BaseType_t xPortIsInsideInterrupt( void );
#endif

/* An inline function on the Cortex-M ports: give Rust a symbol. */
BaseType_t isere_in_isr( void )
{
    return xPortIsInsideInterrupt();
}

void isere_enter_critical( void )
{
    taskENTER_CRITICAL();
}

void isere_exit_critical( void )
{
    taskEXIT_CRITICAL();
}

UBaseType_t isere_enter_critical_from_isr( void )
{
    return taskENTER_CRITICAL_FROM_ISR();
}

void isere_exit_critical_from_isr( UBaseType_t uxSaved )
{
    taskEXIT_CRITICAL_FROM_ISR( uxSaved );
}

void isere_yield( void )
{
    taskYIELD();
}

void isere_yield_from_isr( BaseType_t xHigherPriorityTaskWoken )
{
    portYIELD_FROM_ISR( xHigherPriorityTaskWoken );
}

BaseType_t isere_timer_start( TimerHandle_t xTimer, TickType_t xTicksToWait )
{
    return xTimerStart( xTimer, xTicksToWait );
}

BaseType_t isere_timer_stop( TimerHandle_t xTimer, TickType_t xTicksToWait )
{
    return xTimerStop( xTimer, xTicksToWait );
}

BaseType_t isere_timer_delete( TimerHandle_t xTimer, TickType_t xTicksToWait )
{
    return xTimerDelete( xTimer, xTicksToWait );
}

BaseType_t isere_timer_change_period( TimerHandle_t xTimer, TickType_t xPeriod, TickType_t xTicksToWait )
{
    return xTimerChangePeriod( xTimer, xPeriod, xTicksToWait );
}
