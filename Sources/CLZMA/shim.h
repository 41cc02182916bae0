/* liblzma: MiniDebugInfo (.gnu_debugdata) is an xz-compressed ELF file of symbols. */
#include <lzma.h>
