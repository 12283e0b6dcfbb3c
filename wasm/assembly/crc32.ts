// CRC-32 (IEEE 802.3, reflected 0xEDB88320), so a flipped bit anywhere in a snapshot is caught
// before any of it is trusted.

let table: usize = 0;

function buildTable(): void {
  table = heap.alloc(256 << 2);
  for (let i: u32 = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    store<u32>(table + ((<usize>i) << 2), c);
  }
}

export function crc32(ptr: usize, len: usize): u32 {
  if (table === 0) buildTable();
  let c: u32 = 0xffffffff;
  for (let i: usize = 0; i < len; i++) {
    c = load<u32>(table + ((<usize>((c ^ load<u8>(ptr + i)) & 0xff)) << 2)) ^ (c >>> 8);
  }
  return c ^ 0xffffffff;
}
