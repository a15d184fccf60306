#!/usr/bin/python3
# Reads a kernel dump through Volatility 3's own layers (crash layer + WindowsIntel32e) and prints one JSON line.
# Usage: python3 vol-layer-read.py VOLATILITY3_DIR FILE [p:PA:LEN]... [v:VA:LEN]...   (hex). Prints one JSON line.
import json, os, sys, logging
sys.path.insert(0, os.path.abspath(sys.argv.pop(1)))  # the directory holding vol.py and volatility3/
from volatility3.framework import contexts, exceptions
from volatility3.framework.layers import physical, crash, intel

def main():
    path = os.path.abspath(sys.argv[1])
    ctx = contexts.Context()
    ctx.config['file.location'] = 'file://' + path
    ctx.add_layer(physical.FileLayer(ctx, 'file', 'file'))
    try:
        layer = crash.WindowsCrashDumpStacker.stack(ctx, 'file')
        if layer is None:
            # The stacker swallows the reason; build the 64-bit crash layer directly to report it.
            ctx.config['crash.base_layer'] = 'file'
            crash.WindowsCrashDump64Layer(ctx, 'crash', 'crash')
            raise Exception('Volatility stacked no crash layer')
        ctx.add_layer(layer)
        layer._load_segments() if not getattr(layer, '_segments', None) else None
    except Exception as e:
        print(json.dumps({'ok': False, 'error': f'{type(e).__name__}: {e}'}))
        return 3
    hdr = layer.get_header()
    segs = layer._segments
    out = {
        'ok': True, 'layer': type(layer).__name__, 'dumpType': int(hdr.DumpType),
        'pageCount': sum(s[2] for s in segs) // 0x1000,
        'segments': [[hex(a), hex(o), hex(l)] for a, o, l, _ in segs],
        'dtb': hex(int(hdr.DirectoryTableBase)),
        'bugCheckCode': hex(int(hdr.BugCheckCode)),
        'bugCheckParameters': [hex(int(x)) for x in hdr.BugCheckCodeParameter],
        'kdDebuggerDataBlock': hex(int(hdr.KdDebuggerDataBlock)),
        'psLoadedModuleList': hex(int(hdr.PsLoadedModuleList)),
        'psActiveProcessHead': hex(int(hdr.PsActiveProcessHead)),
        'numberProcessors': int(hdr.NumberProcessors),
        'minorVersion': int(hdr.MinorVersion),
        'reads': [],
    }
    # Volatility's own DTB discovery (self-referencing PML4 scan) — what its Windows plugins would use.
    try:
        from volatility3.framework.automagic import windows as win_automagic
        found = win_automagic.WindowsIntelStacker.stack(ctx, layer.name)
        out['automagicDtb'] = hex(found.config['page_map_offset']) if found is not None else None
    except Exception as e:
        out['automagicDtb'] = f'error {type(e).__name__}: {e}'
    virt = None
    for a in sys.argv[2:]:
        kind, addr, ln = a.split(':')
        addr, ln = int(addr, 16), int(ln, 16)
        if kind == 'v' and virt is None:
            ctx.config['intel.memory_layer'] = layer.name
            ctx.config['intel.page_map_offset'] = int(hdr.DirectoryTableBase) & ~0xFFF
            virt = intel.WindowsIntel32e(ctx, 'intel', 'intel')
            ctx.add_layer(virt)
        lay = virt if kind == 'v' else layer
        res = {'kind': kind, 'addr': hex(addr), 'len': ln}
        try:
            res['hex'] = lay.read(addr, ln, pad=False).hex()
            if kind == 'v':
                res['pa'] = ' '.join(hex(m[2]) for m in lay.mapping(addr, ln, ignore_errors=True))
        except exceptions.InvalidAddressException as e:
            res['error'] = f'{type(e).__name__}: {e}'
        out['reads'].append(res)
    print(json.dumps(out))
    return 0

if __name__ == '__main__':
    logging.disable(logging.CRITICAL)
    sys.exit(main())
