/*
 * FreeRTOS configuration for the Raspberry Pi RP2040 (Cortex-M0+ at 125 MHz,
 * 264 KiB SRAM, 2 MiB QSPI flash on the Pico), with the kernel's
 * GCC/ARM_CM0 port on core 0 only (core 1 stays parked in the boot ROM).
 *
 * Tickless idle: the idle task stops SysTick and sleeps in WFI until the next
 * timeout or an interrupt (USB's), so an idle board draws little.
 *
 * Memory map (port/rp2040/memory.x): .data, .bss and the kernel heap below
 * share SRAM0-3 (256 KiB, striped) and SRAM4 (4 KiB); SRAM5 (4 KiB) is the
 * main stack (MSP), which interrupts use once the scheduler runs. Every task
 * stack, the JS engine and the network buffers come from this heap: see
 * `scripts/size.sh rp2040` for the budget arithmetic.
 */
#ifndef FREERTOS_CONFIG_H
#define FREERTOS_CONFIG_H

#include <stddef.h>
#include <stdint.h>

/* clk_sys from the 12 MHz crystal through PLL_SYS (port/rp2040/main.rs);
 * SysTick counts the processor clock. */
#define configCPU_CLOCK_HZ                      ( ( unsigned long ) 125000000 )
#define configTICK_RATE_HZ                      ( ( TickType_t ) 1000 )
#define configUSE_PREEMPTION                    1
#define configUSE_TIME_SLICING                  1
/* ARMv6-M has no CLZ instruction: the generic task selection. */
#define configUSE_PORT_OPTIMISED_TASK_SELECTION 0
#define configUSE_TICKLESS_IDLE                 1
#define configEXPECTED_IDLE_TIME_BEFORE_SLEEP   2
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

/* The ARMv6-M port options: no MPU, no TrustZone, no FPU on the M0+. */
#define configENABLE_MPU                        0
#define configENABLE_FPU                        0
#define configENABLE_TRUSTZONE                  0
#define configRUN_FREERTOS_SECURE_ONLY          0

/* Memory: heap_4 over a static array in .bss. Rust, QuickJS and newlib's
 * malloc (routed in port/rp2040/newlib.c) all draw from it, and so do every
 * task stack and the USB and network buffers. 257 KiB leaves 3 KiB of the
 * 260 KiB RAM region for the rest of .data and .bss (about 2 KiB today:
 * the kernel's lists, the logger, the task list of the stack report); the
 * link fails if they do not fit. */
#define configSUPPORT_STATIC_ALLOCATION         0
#define configSUPPORT_DYNAMIC_ALLOCATION        1
#define configTOTAL_HEAP_SIZE                   ( ( size_t ) ( 257 * 1024 ) )
#define configAPPLICATION_ALLOCATED_HEAP        0

#define configUSE_IDLE_HOOK                     0
#define configUSE_TICK_HOOK                     0
#define configCHECK_FOR_STACK_OVERFLOW          2
#define configUSE_MALLOC_FAILED_HOOK            1
#define configUSE_DAEMON_TASK_STARTUP_HOOK      0

#define configGENERATE_RUN_TIME_STATS           0
#define configUSE_TRACE_FACILITY                0
#define configUSE_STATS_FORMATTING_FUNCTIONS    0

/* Software timers (JS timers are FreeRTOS timers that post to the JS task;
 * the USB interrupt's re-arm timer, port/rp2040/ncm.rs). */
#define configUSE_TIMERS                        1
#define configTIMER_TASK_PRIORITY               ( configMAX_PRIORITIES - 1 )
#define configTIMER_QUEUE_LENGTH                16
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

/* Interrupt priorities: the RP2040's Cortex-M0+ implements 2 priority bits
 * (0x00, 0x40, 0x80, 0xC0). ARMv6-M has no BASEPRI, so the CM0 port masks
 * every interrupt (PRIMASK) in its critical sections, and interrupts of any
 * priority may call the FromISR functions. The kernel's PendSV and SysTick
 * run at the lowest priority (the port sets 0xC0 itself); the two values
 * below document that and are what the other Cortex-M ports read. */
#define configPRIO_BITS                         2
#define configKERNEL_INTERRUPT_PRIORITY         ( 3 << ( 8 - configPRIO_BITS ) )
#define configMAX_SYSCALL_INTERRUPT_PRIORITY    ( 1 << ( 8 - configPRIO_BITS ) )

/* The port's exception handlers under the names cortex-m-rt's vector table
 * uses (the CM0 port of V11 names them SVC_Handler, PendSV_Handler and
 * SysTick_Handler). Rust code must not define SysTick, SVCall or PendSV. */
#define SVC_Handler                             SVCall
#define PendSV_Handler                          PendSV
#define SysTick_Handler                         SysTick

void vIsereAssertFailed( const char * pcFile, unsigned long ulLine );
#define configASSERT( x )    do { if( ( x ) == 0 ) { vIsereAssertFailed( __FILE__, __LINE__ ); } } while( 0 )

#endif /* FREERTOS_CONFIG_H */
