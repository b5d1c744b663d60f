/*
 * picolibc glue for the ESP32-C3 firmware.
 *
 * QuickJS-NG is C on picolibc (Debian's picolibc-riscv64-unknown-elf, the
 * rv32im/ilp32 multilib, tinystdio). picolibc needs far less than newlib:
 * the stdio streams, `_exit`, `kill`/`getpid` (for `abort`) and the time
 * of day. Everything allocates from the one FreeRTOS heap: `malloc` and
 * friends are port/common/malloc.c's, so picolibc's own allocator (which
 * would grow a second heap with sbrk) is never linked.
 *
 * picolibc keeps errno and a few other variables thread-local (TLS model
 * local-exec, addressed from `tp`): main.rs points `tp` at the image's one
 * TLS block before any C runs, so all tasks share them. Nothing in Isère
 * reads errno.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "FreeRTOS.h"
#include "task.h"

/* Provided by the Rust side (port/esp32c3/main.rs). */
extern void isere_board_console_write( const char * pcData, size_t xLength );
extern void isere_board_exit( int iStatus ) __attribute__( ( noreturn ) );

/* stdout and stderr (QuickJS's print and dump functions) go to UART0;
 * there is no input. */
static int prvConsolePut( char c, FILE * pxFile )
{
    ( void ) pxFile;
    isere_board_console_write( &c, 1 );
    return ( unsigned char ) c;
}

static FILE xConsole = FDEV_SETUP_STREAM( prvConsolePut, NULL, NULL, _FDEV_SETUP_WRITE );

FILE * const stdin = &xConsole;
FILE * const stdout = &xConsole;
FILE * const stderr = &xConsole;

void _exit( int iStatus )
{
    isere_board_exit( iStatus );
}

/* `abort` raises SIGABRT, whose default action sends it to the process. */
pid_t getpid( void )
{
    return 1;
}

int kill( pid_t xPid, int iSignal )
{
    ( void ) xPid;
    isere_board_exit( 128 + iSignal );
}

/* Seconds since the Unix epoch when the firmware was built (from build.rs):
 * the board has no battery-backed clock, so time counts from there. */
#ifndef ISERE_BUILD_EPOCH
    #define ISERE_BUILD_EPOCH    0
#endif

int gettimeofday( struct timeval * restrict pxTime, void * restrict pvZone )
{
    TickType_t xTicks = ( xTaskGetSchedulerState() == taskSCHEDULER_NOT_STARTED ) ? 0 : xTaskGetTickCount();
    uint64_t ullMicros = ( ( uint64_t ) xTicks * 1000000ULL ) / configTICK_RATE_HZ;

    ( void ) pvZone;

    if( pxTime != NULL )
    {
        pxTime->tv_sec = ( time_t ) ( ISERE_BUILD_EPOCH + ullMicros / 1000000ULL );
        pxTime->tv_usec = ( suseconds_t ) ( ullMicros % 1000000ULL );
    }

    return 0;
}
