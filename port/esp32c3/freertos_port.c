/*
 * The ESP32-C3 side of FreeRTOS's generic RISC-V port: the tick and the
 * interrupt routing, which the port leaves to the chip when it has no CLINT.
 *
 * Traps: every entry of the vector table (main.rs, vectored mtvec, the only
 * mode the C3 implements) jumps to the port's freertos_risc_v_trap_handler.
 * It saves the task's context, switches to the interrupt stack and calls
 *   - freertos_risc_v_application_interrupt_handler( mcause ) for interrupts;
 *   - freertos_risc_v_application_exception_handler( mcause ) for exceptions
 *     other than the `ecall` of a yield.
 * The handler may call the FromISR APIs and vTaskSwitchContext(); the port
 * restores whatever task pxCurrentTCB names afterwards.
 *
 * Tick: SYSTIMER comparator 0 in period mode on counter unit 0 (16 MHz from
 * the 40 MHz crystal, whatever the CPU clock), its interrupt source routed
 * by the interrupt matrix to CPU interrupt line ISERE_TICK_CPU_INT,
 * level-triggered, priority 1, threshold 1.
 *
 * Register addresses and bits are as we read the ESP32-C3 Technical
 * Reference Manual (chapters "Interrupt Matrix" and "System Timer") and
 * Espressif's register headers; none of this has run on hardware yet.
 */
#include <stdint.h>

#include "FreeRTOS.h"
#include "task.h"

#define REG32( addr )    ( *( volatile uint32_t * ) ( addr ) )

/* SYSTIMER (TRM "System Timer"), base 0x6002_3000. */
#define SYSTIMER_BASE                      0x60023000UL
#define SYSTIMER_CONF                      REG32( SYSTIMER_BASE + 0x00 )
#define SYSTIMER_TARGET0_CONF              REG32( SYSTIMER_BASE + 0x34 )
#define SYSTIMER_COMP0_LOAD                REG32( SYSTIMER_BASE + 0x50 )
#define SYSTIMER_INT_ENA                   REG32( SYSTIMER_BASE + 0x64 )
#define SYSTIMER_INT_CLR                   REG32( SYSTIMER_BASE + 0x6C )
#define SYSTIMER_INT_ST                    REG32( SYSTIMER_BASE + 0x70 )

#define SYSTIMER_CONF_CLK_EN               ( 1UL << 31 )
#define SYSTIMER_CONF_UNIT0_WORK_EN        ( 1UL << 30 )
#define SYSTIMER_CONF_TARGET0_WORK_EN      ( 1UL << 24 )
#define SYSTIMER_TARGET_PERIOD_MASK        0x03FFFFFFUL /* 26 bits */
#define SYSTIMER_TARGET_PERIOD_MODE        ( 1UL << 30 )
#define SYSTIMER_TARGET_UNIT1_SEL          ( 1UL << 31 ) /* clear: unit 0 */
#define SYSTIMER_TARGET0_INT               ( 1UL << 0 )

/* The counter's rate: the crystal (40 MHz) divided by 2.5. */
#define SYSTIMER_TICKS_PER_SECOND          16000000UL

/* Interrupt matrix (TRM "Interrupt Matrix"), base 0x600C_2000: one map
 * register per peripheral source (4 * source), then the CPU line controls. */
#define INTMTX_BASE                        0x600C2000UL
#define INTMTX_SOURCE_MAP( source )        REG32( INTMTX_BASE + 4UL * ( source ) )
#define INTMTX_CPU_INT_ENABLE              REG32( INTMTX_BASE + 0x104 )
#define INTMTX_CPU_INT_TYPE                REG32( INTMTX_BASE + 0x108 )
#define INTMTX_CPU_INT_PRI( line )         REG32( INTMTX_BASE + 0x114 + 4UL * ( line ) )
#define INTMTX_CPU_INT_THRESH              REG32( INTMTX_BASE + 0x194 )

/* Peripheral interrupt source number of SYSTIMER_TARGET0. */
#define SOURCE_SYSTIMER_TARGET0            37UL

/* The CPU interrupt line the tick is routed to (1..31; 0 means "not routed"). */
#define ISERE_TICK_CPU_INT                 1UL

#define MCAUSE_INTERRUPT                   0x80000000UL
#define MCAUSE_CODE_MASK                   0x1FUL

_Static_assert( ( SYSTIMER_TICKS_PER_SECOND % configTICK_RATE_HZ ) == 0, "the tick must be a whole number of SYSTIMER counts" );
_Static_assert( ( SYSTIMER_TICKS_PER_SECOND / configTICK_RATE_HZ ) <= SYSTIMER_TARGET_PERIOD_MASK, "tick period exceeds SYSTIMER's 26-bit period" );

/* Depth of trap handling: non-zero inside an interrupt or exception handler.
 * Traps do not nest on this port (mstatus.MIE is cleared on entry). */
static volatile long lInsideInterrupt = 0;

/* Provided by the Rust side (port/esp32c3/main.rs). */
extern void isere_esp32c3_fault( uint32_t ulCause, uint32_t ulPc, uint32_t ulValue ) __attribute__( ( noreturn ) );
extern void isere_esp32c3_unexpected_interrupt( uint32_t ulCause );

long lIsereEsp32c3InsideInterrupt( void )
{
    return lInsideInterrupt;
}

/* Called by the port's xPortStartScheduler() just before the first task. */
void vPortSetupTimerInterrupt( void )
{
    const uint32_t ulPeriod = SYSTIMER_TICKS_PER_SECOND / configTICK_RATE_HZ;

    /* Only our line: whatever the ROM or bootloader routed stays masked. */
    INTMTX_CPU_INT_ENABLE = 0;

    SYSTIMER_CONF |= SYSTIMER_CONF_CLK_EN | SYSTIMER_CONF_UNIT0_WORK_EN;

    /* The TRM's period-alarm sequence: unit 0 and the period, load them
     * into the comparator, clear then set period mode (which restarts the
     * period from now), then enable the comparator and its interrupt. */
    SYSTIMER_TARGET0_CONF = ( ulPeriod & SYSTIMER_TARGET_PERIOD_MASK ) | SYSTIMER_TARGET_PERIOD_MODE;
    SYSTIMER_COMP0_LOAD = 1;
    SYSTIMER_TARGET0_CONF = ulPeriod & SYSTIMER_TARGET_PERIOD_MASK;
    SYSTIMER_TARGET0_CONF = ( ulPeriod & SYSTIMER_TARGET_PERIOD_MASK ) | SYSTIMER_TARGET_PERIOD_MODE;
    SYSTIMER_INT_CLR = SYSTIMER_TARGET0_INT;
    SYSTIMER_INT_ENA |= SYSTIMER_TARGET0_INT;
    SYSTIMER_CONF |= SYSTIMER_CONF_TARGET0_WORK_EN;

    /* Route the source to our line: level-triggered, priority 1, and a
     * threshold of 1 lets priorities >= 1 through. */
    INTMTX_SOURCE_MAP( SOURCE_SYSTIMER_TARGET0 ) = ISERE_TICK_CPU_INT;
    INTMTX_CPU_INT_TYPE &= ~( 1UL << ISERE_TICK_CPU_INT );
    INTMTX_CPU_INT_PRI( ISERE_TICK_CPU_INT ) = 1;
    INTMTX_CPU_INT_THRESH = 1;
    INTMTX_CPU_INT_ENABLE = 1UL << ISERE_TICK_CPU_INT;

    /* mstatus.MIE is set by the port when the first task starts. */
}

static void prvTickInterrupt( void )
{
    /* The alarm's interrupt is a level: acknowledge it before returning. */
    SYSTIMER_INT_CLR = SYSTIMER_TARGET0_INT;

    if( xTaskIncrementTick() != pdFALSE )
    {
        vTaskSwitchContext();
    }
}

void freertos_risc_v_application_interrupt_handler( uint32_t ulCause )
{
    lInsideInterrupt++;

    if( ( ulCause & MCAUSE_CODE_MASK ) == ISERE_TICK_CPU_INT )
    {
        prvTickInterrupt();
    }
    else
    {
        /* No other line is enabled: report it; masking it keeps a level
         * source from storming. */
        INTMTX_CPU_INT_ENABLE &= ~( 1UL << ( ulCause & MCAUSE_CODE_MASK ) );
        isere_esp32c3_unexpected_interrupt( ulCause );
    }

    lInsideInterrupt--;
}

void freertos_risc_v_application_exception_handler( uint32_t ulCause )
{
    uint32_t ulPc;
    uint32_t ulValue;

    lInsideInterrupt++;
    __asm volatile ( "csrr %0, mepc" : "=r" ( ulPc ) );
    __asm volatile ( "csrr %0, mtval" : "=r" ( ulValue ) );
    isere_esp32c3_fault( ulCause, ulPc, ulValue );
}

/* The idle task: sleep until the next interrupt (the tick at the latest). */
void vApplicationIdleHook( void )
{
    __asm volatile ( "wfi" );
}
