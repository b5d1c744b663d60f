/*
 * The C library's allocator on the boards: `malloc` and friends from the one
 * FreeRTOS heap (pvPortMalloc), with a small header holding the size for
 * `realloc`. Shared by the newlib (ARM) and picolibc (RISC-V) boards, so
 * nothing in the C library grows a second heap behind the kernel's back and
 * the heap statistics are the whole board's.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "FreeRTOS.h"

/* One alignment unit keeps the payload aligned as heap_4 aligns blocks. */
typedef union
{
    size_t size;
    uint8_t align[ portBYTE_ALIGNMENT ];
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
        errno = ENOMEM;
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
