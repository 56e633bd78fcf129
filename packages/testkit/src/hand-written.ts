/**
 * Small inputs written here by hand, for the formats of which no real,
 * tool-written file could be found (../shared/corpus/SOURCES.md, "Not
 * found"): they follow the grammars of docs/formats.md and the writers' sources
 * quoted there. Tests that run every importer's inputs through the same
 * checks use them so that each format is covered even without the corpus.
 */

/**
 * An Android native heap dump, v1.2 (`am dumpheap -n` / malloc_debug
 * backtrace dump, docs/formats.md#android-heap-dump): five records, two of them duplicates, one
 * with zero frames, `bt_info` names for the first record's frames, and a
 * MAPS section. Its header's total (2900) disagrees with the records (2632).
 */
export const ANDROID_HEAP_DUMP_V12 = `Android Native Heap Dump v1.2

Build fingerprint: 'google/taimen/taimen:10/QP1A.191005.007.A3/5972272:user/release-keys'

Total memory: 2900
Allocation records: 5
Backtrace size: 16

z 0  sz      400  num    1  bt 7fe9183a2c 7fe9200510 5590001000
  bt_info {"/system/lib64/libc.so" 2a2c "abort" 24} {"/system/lib64/libutils.so" 4f510 "android::RefBase::incStrong(void const*) const" 1c} {"/system/bin/app_process64" 1000 "" 0}
z 1  sz      500  num    3  bt 7fe9183a2c 7fe9200600
z 1  sz      500  num    1  bt 7fe9183a2c 7fe9200600
z 0  sz       16  num    2  bt
z 1  sz      100  num    2  bt 7fe9200600
MAPS
5590000000-5590002000 r-xp 00000000 fd:00 1234                           /system/bin/app_process64
7fe9181000-7fe91a2000 r-xp 00000000 fd:00 2345                           /system/lib64/libc.so
7fe91b1000-7fe9260000 r-xp 00000000 fd:00 3456                           /system/lib64/libutils.so
7fe9300000-7fe9301000 rw-p 00000000 00:00 0                              [anon:libc_malloc]
END
`;

/**
 * A timestamped record_allocs trace (the 2023+ writer, docs/formats.md#record-allocs): two
 * threads, tid 11 reused after its thread_done, every operation, a 64-bit
 * tagged pointer, free(NULL) and realloc(p, 0).
 */
export const RECORD_ALLOCS_TIMED = `10: malloc 0x7b00001000 100 1000 1010
10: calloc 0x7b00002000 4 50 1100 1110
11: memalign 0x7b00003000 64 1000 1200 1210
11: free 0x7b00002000 1300 1320 200
10: realloc 0x7b00004000 0x7b00001000 300 1400 1410 100
10: free 0x0 1500 1501
11: thread_done 0x0 1600
11: malloc 0xb400007b00005000 7 1700 1710
11: free 0xb400007b00005000 1800 1810 4096
10: realloc 0x0 0x7b00004000 0 1900 1910
`;

/**
 * `memray transform csv` output as memray's writer makes it
 * (src/memray/reporters/transform.py: Python's csv.writer, CR LF line ends,
 * quotes only around fields with a comma or a quote; thread names from
 * reporters/common.py): memray could not be installed where this was
 * written (no PyPI access, no Debian package), so this follows the code,
 * not a capture. Python frames, native frames of a `--native` capture with
 * commas, a `|` and a `;` in C++ names, an empty stack, a thread without a
 * name, and two rows that differ only by allocator.
 */
export const MEMRAY_CSV = [
  'allocator,num_allocations,size,tid,thread_name,stack_trace',
  'MALLOC,3,98304,1,0x1 (MainThread),grow;/tmp/app.py;7|main;/tmp/app.py;12|<module>;/tmp/app.py;15',
  'PYMALLOC_MALLOC,40,2560,1,0x1 (MainThread),grow;/tmp/app.py;6|main;/tmp/app.py;12|<module>;/tmp/app.py;15',
  'CALLOC,1,8192,2,0x2 (worker),"std::map<int, int>::operator[](int const&);/usr/include/c++/12/bits/stl_map.h;511|fill_map;native.cpp;20|run;/tmp/app.py;30"',
  'MALLOC,2,256,2,0x2 (worker),"Flags::operator|(Flags) const;flags.h;4|x;y;z;native.cpp;9|run;/tmp/app.py;31"',
  'MMAP,1,1048576,3,0x3,',
  'MALLOC,5,640,2,0x2 (worker),"say ""hi"";/tmp/app.py;40"',
  'REALLOC,1,100,1,0x1 (MainThread),grow;/tmp/app.py;7|main;/tmp/app.py;12|<module>;/tmp/app.py;15',
].join('\r\n') + '\r\n';
