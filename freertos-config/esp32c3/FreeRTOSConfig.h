/*
 * FreeRTOS configuration for the ESP32-C3 (single RV32IMC core, 400 KiB
 * SRAM, flash behind a cache), on the kernel's generic GCC/RISC-V port with
 * the RISCV_no_extensions chip header.
 *
 * The chip has no CLINT: there is no mtime/mtimecmp, so
 * configMTIME_BASE_ADDRESS and configMTIMECMP_BASE_ADDRESS are 0 and the
 * tick comes from SYSTIMER alarm 0 routed through the interrupt matrix
 * (port/esp32c3/freertos_port.c provides vPortSetupTimerInterrupt and the
 * interrupt handler). Unverified on hardware: see port/esp32c3/README.md.
 */
#ifndef FREERTOS_CONFIG_H
#define FREERTOS_CONFIG_H

/* C declarations are guarded: the header stays includable from assembly. */
#ifndef __ASSEMBLER__
    #include <stddef.h>
    #include <stdint.h>
#endif

/* What the second-stage bootloader leaves the CPU at (80 MHz from the PLL).
 * Only informative here: the generic port uses it for mtime, which we do
 * not have; the tick counts SYSTIMER's fixed 16 MHz. */
#define configCPU_CLOCK_HZ                      ( ( unsigned long ) 80000000 )
#define configTICK_RATE_HZ                      ( ( TickType_t ) 1000 )
#define configMTIME_BASE_ADDRESS                ( 0 )
#define configMTIMECMP_BASE_ADDRESS             ( 0 )
#define configUSE_PREEMPTION                    1
#define configUSE_TIME_SLICING                  1
#define configUSE_PORT_OPTIMISED_TASK_SELECTION 1
/* No tickless idle yet (the port would need its own
 * vPortSuppressTicksAndSleep over SYSTIMER); the idle hook waits in WFI. */
#define configUSE_TICKLESS_IDLE                 0
#define configMAX_PRIORITIES                    8
#define configMINIMAL_STACK_SIZE                ( ( unsigned short ) 256 )
#define configMAX_TASK_NAME_LEN                 12
#define configTICK_TYPE_WIDTH_IN_BITS           TICK_TYPE_WIDTH_32_BITS
#define configIDLE_SHOULD_YIELD                 1
#define configUSE_TASK_NOTIFICATIONS            1
/* Index 0: replies to a task; index 1: I/O readiness from the port. */
#define configTASK_NOTIFICATION_ARRAY_ENTRIES   2
#define configUSE_MUTEXES                       1
#define configUSE_RECURSIVE_MUTEXES             0
#define configUSE_COUNTING_SEMAPHORES           1
#define configQUEUE_REGISTRY_SIZE               0
#define configUSE_QUEUE_SETS                    0
#define configUSE_NEWLIB_REENTRANT              0
#define configENABLE_BACKWARD_COMPATIBILITY     0
#define configNUM_THREAD_LOCAL_STORAGE_POINTERS 0
#define configSTACK_DEPTH_TYPE                  size_t
#define configMESSAGE_BUFFER_LENGTH_TYPE        size_t

/* Memory: heap_4 over a static array in DRAM. Rust, QuickJS and picolibc's
 * malloc (routed in port/esp32c3/picolibc.c) all draw from it. The linker
 * script fails the link if it, the other static data and the 8 KiB boot/ISR
 * stack do not fit in the 377 KiB of DRAM the app owns after boot. */
#define configSUPPORT_STATIC_ALLOCATION         0
#define configSUPPORT_DYNAMIC_ALLOCATION        1
#define configTOTAL_HEAP_SIZE                   ( ( size_t ) ( 360 * 1024 ) )
#define configAPPLICATION_ALLOCATED_HEAP        0

#define configUSE_IDLE_HOOK                     1
#define configUSE_TICK_HOOK                     0
#define configCHECK_FOR_STACK_OVERFLOW          2
#define configUSE_MALLOC_FAILED_HOOK            1
#define configUSE_DAEMON_TASK_STARTUP_HOOK      0

#define configGENERATE_RUN_TIME_STATS           0
#define configUSE_TRACE_FACILITY                0
#define configUSE_STATS_FORMATTING_FUNCTIONS    0

/* Software timers (JS timers are FreeRTOS timers that post to the JS task). */
#define configUSE_TIMERS                        1
#define configTIMER_TASK_PRIORITY               ( configMAX_PRIORITIES - 1 )
#define configTIMER_QUEUE_LENGTH                32
#define configTIMER_TASK_STACK_DEPTH            512

#define configUSE_CO_ROUTINES                   0

#define INCLUDE_vTaskPrioritySet                0
#define INCLUDE_uxTaskPriorityGet               0
#define INCLUDE_vTaskDelete                     1
#define INCLUDE_vTaskSuspend                    1
#define INCLUDE_xTaskDelayUntil                 1
#define INCLUDE_vTaskDelay                      1
#define INCLUDE_xTaskGetSchedulerState          1
#define INCLUDE_xTaskGetCurrentTaskHandle       1
#define INCLUDE_uxTaskGetStackHighWaterMark     1
#define INCLUDE_xTaskGetIdleTaskHandle          0
#define INCLUDE_eTaskGetState                   0
#define INCLUDE_xTimerPendFunctionCall          0
#define INCLUDE_xTaskAbortDelay                 0
#define INCLUDE_xTaskGetHandle                  0

/* Interrupts do not nest (the CPU clears mstatus.MIE on a trap) and run on
 * the boot stack, whose top the linker script exports as
 * __freertos_irq_stack_top. */

#ifndef __ASSEMBLER__
    void vIsereAssertFailed( const char * pcFile, unsigned long ulLine );
    #define configASSERT( x )    do { if( ( x ) == 0 ) { vIsereAssertFailed( __FILE__, __LINE__ ); } } while( 0 )

/* The generic RISC-V port has no xPortIsInsideInterrupt(); the board's
 * interrupt entry counts it (port/esp32c3/freertos_port.c). `long` is
 * BaseType_t's width on rv32 (not yet declared at this point). */
    long lIsereEsp32c3InsideInterrupt( void );
    #define xPortIsInsideInterrupt()    ( ( BaseType_t ) lIsereEsp32c3InsideInterrupt() )
#endif

#endif /* FREERTOS_CONFIG_H */
