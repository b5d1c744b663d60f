/*
 * FreeRTOS configuration for QEMU's mps2-an385 (ARM MPS2 with an AN385
 * Cortex-M3 image, 25 MHz, 4 MiB code SRAM, 4 MiB data SRAM, LAN9118).
 *
 * Tickless idle: the idle task stops SysTick and sleeps in WFI until the next
 * timeout or an interrupt (the NIC's), so an idle board costs QEMU ~nothing.
 */
#ifndef FREERTOS_CONFIG_H
#define FREERTOS_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define configCPU_CLOCK_HZ                      ( ( unsigned long ) 25000000 )
#define configTICK_RATE_HZ                      ( ( TickType_t ) 1000 )
#define configUSE_PREEMPTION                    1
#define configUSE_TIME_SLICING                  1
#if defined( __ARM_ARCH_6M__ )
    /* Built for ARMv6-M (thumbv6m, the CM0 port): no CLZ instruction. */
    #define configUSE_PORT_OPTIMISED_TASK_SELECTION 0
    #define configENABLE_MPU                        0
    #define configENABLE_FPU                        0
    #define configENABLE_TRUSTZONE                  0
    #define configRUN_FREERTOS_SECURE_ONLY          0
#else
    #define configUSE_PORT_OPTIMISED_TASK_SELECTION 1
#endif
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

/* Memory: heap_4 over a static array in the data SRAM. Rust, QuickJS and
 * newlib's malloc (routed in port/mps2-an385/newlib.c) all draw from it. */
#define configSUPPORT_STATIC_ALLOCATION         0
#define configSUPPORT_DYNAMIC_ALLOCATION        1
#define configTOTAL_HEAP_SIZE                   ( ( size_t ) ( 3 * 1024 * 1024 ) )
#define configAPPLICATION_ALLOCATED_HEAP        0

#define configUSE_IDLE_HOOK                     0
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

/* Interrupt priorities: the Cortex-M3 of the AN385 image implements 3
 * priority bits. The kernel runs at the lowest priority; interrupts at
 * numerically >= configMAX_SYSCALL_INTERRUPT_PRIORITY may call FromISR APIs
 * (the LAN9118's is one of them). */
#define configPRIO_BITS                         3
#define configKERNEL_INTERRUPT_PRIORITY         ( 7 << ( 8 - configPRIO_BITS ) )
#define configMAX_SYSCALL_INTERRUPT_PRIORITY    ( 5 << ( 8 - configPRIO_BITS ) )

/* The port's exception handlers under the names cortex-m-rt's vector table uses. */
#define vPortSVCHandler                         SVCall
#define xPortPendSVHandler                      PendSV
#define xPortSysTickHandler                     SysTick
/* The same handlers as the CM0 port names them (thumbv6m builds). */
#define SVC_Handler                             SVCall
#define PendSV_Handler                          PendSV
#define SysTick_Handler                         SysTick

/* Tickless idle sleeps through port/mps2-an385/cpu.c, which counts the time
 * asleep (the CPU meter behind /_isere/stats and `make bench-qemu`). */
void vIsereSleep( void );
#define configPRE_SLEEP_PROCESSING( x )    do { vIsereSleep(); ( x ) = 0; } while( 0 )

void vIsereAssertFailed( const char * pcFile, unsigned long ulLine );
#define configASSERT( x )    do { if( ( x ) == 0 ) { vIsereAssertFailed( __FILE__, __LINE__ ); } } while( 0 )

#endif /* FREERTOS_CONFIG_H */
