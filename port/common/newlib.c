/*
 * newlib glue for the ARM boards (mps2-an385, RP2040).
 *
 * QuickJS-NG is C on newlib(-nano); newlib in turn needs a few system calls.
 * Everything allocates from the one FreeRTOS heap: newlib's reentrant
 * `_malloc_r` family (which `strtod` inside `JSON.parse` uses) goes to the
 * `malloc` of port/common/malloc.c. `_sbrk` always fails, so nothing grows a
 * second heap behind the kernel's back. Console output goes to the board's
 * console (`isere_board_console_write`, provided by its main.rs); time comes
 * from the kernel tick plus the build time (no battery-backed clock).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <reent.h>
#include <stdlib.h>

#include "FreeRTOS.h"
#include "task.h"

void * _malloc_r( struct _reent * r, size_t xSize )
{
    ( void ) r;
    return malloc( xSize );
}

void _free_r( struct _reent * r, void * pv )
{
    ( void ) r;
    free( pv );
}

void * _calloc_r( struct _reent * r, size_t xCount, size_t xSize )
{
    ( void ) r;
    return calloc( xCount, xSize );
}

void * _realloc_r( struct _reent * r, void * pv, size_t xSize )
{
    ( void ) r;
    return realloc( pv, xSize );
}

void * _sbrk( ptrdiff_t xIncrement )
{
    ( void ) xIncrement;
    errno = ENOMEM;
    return ( void * ) -1;
}

/* Provided by the Rust side (the board's main.rs). */
extern void isere_board_console_write( const char * pcData, size_t xLength );
extern void isere_board_exit( int iStatus ) __attribute__( ( noreturn ) );

int _write( int iFile, const char * pcData, int iLength )
{
    if( ( iFile == 1 ) || ( iFile == 2 ) )
    {
        isere_board_console_write( pcData, ( size_t ) iLength );
        return iLength;
    }

    errno = EBADF;
    return -1;
}

int _read( int iFile, char * pcData, int iLength )
{
    ( void ) iFile;
    ( void ) pcData;
    ( void ) iLength;
    errno = EBADF;
    return -1;
}

int _close( int iFile )
{
    ( void ) iFile;
    errno = EBADF;
    return -1;
}

int _lseek( int iFile, int iOffset, int iWhence )
{
    ( void ) iFile;
    ( void ) iOffset;
    ( void ) iWhence;
    errno = ESPIPE;
    return -1;
}

int _fstat( int iFile, struct stat * pxStat )
{
    ( void ) iFile;
    memset( pxStat, 0, sizeof( *pxStat ) );
    pxStat->st_mode = S_IFCHR;
    return 0;
}

int _isatty( int iFile )
{
    return ( iFile >= 0 ) && ( iFile <= 2 );
}

int _getpid( void )
{
    return 1;
}

int _kill( int iPid, int iSignal )
{
    ( void ) iPid;
    ( void ) iSignal;
    errno = EINVAL;
    return -1;
}

void _exit( int iStatus )
{
    isere_board_exit( iStatus );
}

/* Seconds since the Unix epoch when the firmware was built (from build.rs). */
#ifndef ISERE_BUILD_EPOCH
    #define ISERE_BUILD_EPOCH    0
#endif

int _gettimeofday( struct timeval * pxTime, void * pvZone )
{
    TickType_t xTicks = ( xTaskGetSchedulerState() == taskSCHEDULER_NOT_STARTED ) ? 0 : xTaskGetTickCount();
    uint64_t ullMicros = ( ( uint64_t ) xTicks * 1000000ULL ) / configTICK_RATE_HZ;

    ( void ) pvZone;
    pxTime->tv_sec = ( time_t ) ( ISERE_BUILD_EPOCH + ullMicros / 1000000ULL );
    pxTime->tv_usec = ( suseconds_t ) ( ullMicros % 1000000ULL );
    return 0;
}
