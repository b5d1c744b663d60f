/*
 * CPU time accounting for the mps2-an385 firmware.
 *
 * CMSDK APB TIMER1 runs free at the 25 MHz peripheral clock. Tickless idle
 * calls configPRE_SLEEP_PROCESSING around its WFI; the time asleep is
 * counted there, so "busy" = elapsed - asleep. Under QEMU with
 * `-icount shift=0` (one instruction per virtual nanosecond) busy nanoseconds
 * are the instructions the board executed, which is how `make bench-qemu`
 * counts instructions per request.
 */
#include <stdint.h>
#include "FreeRTOS.h"
#include "task.h"

#define TIMER1_BASE        ( 0x40001000UL )
#define TIMER_CTRL         ( *( volatile uint32_t * ) ( TIMER1_BASE + 0x0 ) )
#define TIMER_VALUE        ( *( volatile uint32_t * ) ( TIMER1_BASE + 0x4 ) )
#define TIMER_RELOAD       ( *( volatile uint32_t * ) ( TIMER1_BASE + 0x8 ) )
#define TIMER_CTRL_ENABLE  ( 1UL )

static uint32_t ulLastValue;
static uint64_t ullElapsedTicks;
static uint64_t ullSleptTicks;

/* Folds the timer's progress since the last sample into the elapsed count
 * (the 32-bit counter wraps every 171 s; samples come far more often). */
static void prvSample( void )
{
    uint32_t ulNow = TIMER_VALUE;

    ullElapsedTicks += ( uint32_t ) ( ulLastValue - ulNow );
    ulLastValue = ulNow;
}

void vIsereCpuMeterStart( void )
{
    TIMER_RELOAD = 0xFFFFFFFFUL;
    TIMER_VALUE = 0xFFFFFFFFUL;
    TIMER_CTRL = TIMER_CTRL_ENABLE;
    ulLastValue = TIMER_VALUE;
}

/* Called by the port's tickless idle with interrupts masked: sleep until an
 * interrupt is pending, counting the time asleep. */
void vIsereSleep( void )
{
    uint32_t ulBefore;

    prvSample();
    ulBefore = ulLastValue;
    __asm volatile ( "dsb" ::: "memory" );
    __asm volatile ( "wfi" );
    __asm volatile ( "isb" );
    prvSample();
    ullSleptTicks += ( uint32_t ) ( ulBefore - ulLastValue );
}

/* Nanoseconds the CPU has not been asleep since the meter started. */
uint64_t ullIsereCpuBusyNs( void )
{
    uint64_t ullBusy;

    taskENTER_CRITICAL();
    prvSample();
    ullBusy = ullElapsedTicks - ullSleptTicks;
    taskEXIT_CRITICAL();
    return ullBusy * 40ULL; /* 25 MHz: 40 ns per tick */
}
