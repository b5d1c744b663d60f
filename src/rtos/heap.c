/*
 * The kernel heap: FreeRTOS's heap_4, plus the one thing it does not export,
 * the usable size of an allocated block.
 *
 * The JS engine asks for a block's usable size (its memory accounting and
 * `realloc` need it). heap_4 already records every block's size in the header
 * before it; reading it here, inside heap_4's own translation unit, spares
 * the engine a second header of its own on each of its thousands of small
 * allocations (8 bytes each on a 32-bit board).
 */
#include "portable/MemMang/heap_4.c"

size_t isere_heap_usable_size( void * pv )
{
    const BlockLink_t * pxLink;

    if( pv == NULL )
    {
        return 0;
    }

    pxLink = ( const BlockLink_t * ) ( ( ( const uint8_t * ) pv ) - xHeapStructSize );
    configASSERT( heapBLOCK_IS_ALLOCATED( pxLink ) != 0 );
    return ( pxLink->xBlockSize & ~heapBLOCK_ALLOCATED_BITMASK ) - xHeapStructSize;
}
