/* schema.h: the JSON Schema of the records (doc/flow-record.schema.json),
 * embedded in the program at build time: cmake/FsEmbed.cmake writes the
 * definitions into a generated schema.c, so the program prints exactly the
 * file of its source tree and the repository holds one copy. */
#ifndef FS_SCHEMA_H
#define FS_SCHEMA_H

#include <stddef.h>

/* The bytes of doc/flow-record.schema.json, then a NUL; static data. */
extern const char fs_schema_json[];

/* Their number, without the NUL. */
extern const size_t fs_schema_json_size;

#endif
