/**
 * struct msghdr, iovec and cmsghdr for one byte and one SCM_RIGHTS descriptor, laid out in a
 * buffer whose address is `base` (dumpkit's own, for sendmsg; the snapshot's scratch page, for
 * its recvmsg). `word` is the size of a pointer and of size_t: x86_64 msghdr 56 bytes, cmsghdr
 * 16, CMSG_SPACE(4) 24, CMSG_LEN(4) 20; i386 28, 12, 16, 16, as gcc -m32 and the kernel's compat
 * recvmsg have them.
 */
export const MSG_BYTES = 256;
/** Offsets in the buffer: struct msghdr at 0, struct iovec at 64, the control buffer, the data byte. */
const IOV_AT = 64;
export const CONTROL_AT = 128;
const DATA_AT = 200;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;

export interface MsgLayout {
  /** The buffer: msghdr and iovec filled in; with `passFd`, the control message carrying it too. */
  message(base: bigint, passFd?: number): Uint8Array;
  /** CMSG_SPACE(sizeof(int)): the control buffer's length. */
  cmsgSpace: number;
  /** The descriptor a received control buffer carries, or undefined if it carries none. */
  receivedFd(cmsg: Uint8Array): number | undefined;
}

export function msgLayout(word: 4 | 8): MsgLayout {
  const put = (v: DataView, at: number, x: bigint): void => (word === 8 ? v.setBigUint64(at, x, true) : v.setUint32(at, Number(x), true));
  const get = (v: DataView, at: number): bigint => (word === 8 ? v.getBigUint64(at, true) : BigInt(v.getUint32(at, true)));
  const align = (n: number): number => Math.ceil(n / word) * word;
  // cmsghdr: cmsg_len (size_t), cmsg_level (int), cmsg_type (int), then the data, aligned to size_t.
  const dataAt = align(word + 8);
  const cmsgLen = dataAt + 4;
  const cmsgSpace = dataAt + align(4);
  return {
    message(base, passFd) {
      const msg = new Uint8Array(MSG_BYTES);
      const v = new DataView(msg.buffer);
      // msg_name, msg_namelen (an int, padded to a word), msg_iov, msg_iovlen, msg_control, msg_controllen, msg_flags.
      put(v, 2 * word, base + BigInt(IOV_AT));
      put(v, 3 * word, 1n);
      put(v, 4 * word, base + BigInt(CONTROL_AT));
      put(v, 5 * word, BigInt(cmsgSpace));
      // iovec: iov_base, iov_len.
      put(v, IOV_AT, base + BigInt(DATA_AT));
      put(v, IOV_AT + word, 1n);
      if (passFd !== undefined) {
        put(v, CONTROL_AT, BigInt(cmsgLen));
        v.setInt32(CONTROL_AT + word, SOL_SOCKET, true);
        v.setInt32(CONTROL_AT + word + 4, SCM_RIGHTS, true);
        v.setInt32(CONTROL_AT + dataAt, passFd, true);
      }
      return msg;
    },
    cmsgSpace,
    receivedFd(cmsg) {
      const v = new DataView(cmsg.buffer, cmsg.byteOffset, cmsg.byteLength);
      if (get(v, 0) !== BigInt(cmsgLen) || v.getInt32(word, true) !== SOL_SOCKET || v.getInt32(word + 4, true) !== SCM_RIGHTS) return undefined;
      return v.getInt32(dataAt, true);
    },
  };
}
