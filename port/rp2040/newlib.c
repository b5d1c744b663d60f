/*
 * newlib glue for the RP2040 firmware (the same contract as
 * port/mps2-an385/newlib.c, which it mirrors: nothing in it is specific to a
 * board but the two functions the Rust side provides).
 *
 * QuickJS-NG is C on newlib(-nano); newlib in turn needs a few system calls.
 * Everything allocates from the one FreeRTOS heap: `malloc` and friends (and
 * newlib's reentrant `_malloc_r` family, which `strtod` inside `JSON.parse`
 * uses) are routed to pvPortMalloc, with a small header holding the size for
 * `realloc`. `_sbrk` always fails, so nothing grows a second heap behind the
 * kernel's back. Console output goes to UART0; time comes from the
 * kernel tick plus the build time (the board has no battery-backed clock).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <reent.h>

#include "FreeRTOS.h"
#include "task.h"

/* 8 bytes keep the payload 8-byte aligned, as newlib's malloc guarantees. */
typedef union
{
    size_t size;
    uint64_t align;
} Header_t;

void * malloc( size_t xSize )
{
    Header_t * pxHeader;

    if( xSize > ( SIZE_MAX - sizeof( Header_t ) ) )
    {
        return NULL;
    }

    pxHeader = pvPortMalloc( xSize + sizeof( Header_t ) );

    if( pxHeader == NULL )
    {
        errno = ENOMEM;
        return NULL;
    }

    pxHeader->size = xSize;
    return pxHeader + 1;
}

void free( void * pv )
{
    if( pv != NULL )
    {
        vPortFree( ( Header_t * ) pv - 1 );
    }
}

void * calloc( size_t xCount, size_t xSize )
{
    void * pv;

    if( ( xSize != 0 ) && ( xCount > ( SIZE_MAX / xSize ) ) )
    {
        return NULL;
    }

    pv = malloc( xCount * xSize );

    if( pv != NULL )
    {
        memset( pv, 0, xCount * xSize );
    }

    return pv;
}

void * realloc( void * pv, size_t xSize )
{
    void * pvNew;
    size_t xOld;

    if( pv == NULL )
    {
        return malloc( xSize );
    }

    if( xSize == 0 )
    {
        free( pv );
        return NULL;
    }

    xOld = ( ( Header_t * ) pv - 1 )->size;
    pvNew = malloc( xSize );

    if( pvNew != NULL )
    {
        memcpy( pvNew, pv, ( xOld < xSize ) ? xOld : xSize );
        free( pv );
    }

    return pvNew;
}

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

/* Provided by the Rust side (port/rp2040/main.rs). */
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
