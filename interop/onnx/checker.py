#!/usr/bin/env python3
"""Validates ONNX files with the ONNX project's own checker (onnx.checker.check_model with
full_check=True, which also runs shape inference). Used by packages/indrnn/test/onnx.checker.test.ts.

  checker.py FILE...     prints one JSON line per file: {"file", "ok", "error"}

Needs python3-onnx (Debian: apt-get install python3-onnx); exits 3 with a message when it is missing.
"""
import json
import sys

try:
    import onnx
except ImportError:
    print('onnx is not installed (apt-get install python3-onnx)', file=sys.stderr)
    sys.exit(3)


def main():
    failed = 0
    for path in sys.argv[1:]:
        try:
            model = onnx.load(path)
            onnx.checker.check_model(model, full_check=True)
            print(json.dumps({'file': path, 'ok': True, 'onnx': onnx.__version__, 'ir_version': model.ir_version,
                              'opset': model.opset_import[0].version}), flush=True)
        except Exception as e:  # report every file, then fail
            failed += 1
            print(json.dumps({'file': path, 'ok': False, 'error': str(e)}), flush=True)
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
