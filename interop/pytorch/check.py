#!/usr/bin/env python3
"""The PyTorch side of indrnn's interop checks (driven by packages/cli/test/pytorch.interop.test.ts).

  check.py load DIR [--authors-dir PATH]
      For each case in DIR/manifest.json: build the PyTorch model, load the weights indrnn exported
      (safetensors) with load_state_dict(strict=True), run it in eval mode on the case's input and
      compare its logits with indrnn's. Prints one JSON line per case with max_rel_diff
      (max |torch - indrnn| / max |indrnn|). Cases: 'authors' names into the authors' classifiers
      (plain / residual / dense IndRNN with BN), 'pytorch' names into torch.nn.LSTM / torch.nn.RNN.
      --authors-dir: use the authors' own classes, imported at run time from a checkout of
      IndRNN_pytorch (its CPU recurrence module stands in for the CUDA one); otherwise the
      clean-room modules of authors_models.py.

  check.py save DIR
      Builds models in PyTorch with random weights and BN statistics, saves each state dict with
      torch.save (zip format, and for some the legacy format and a legacy checkpoint dict holding the
      state dict under 'state_dict'), with its input, logits and the indrnn model config, for
      `indrnn import` to read back.

Needs python3-torch (Debian: apt-get install python3-torch libopenblas0-pthread). Exits 3 with a
message when torch is missing, which the Node test turns into a skip.
"""
import argparse
import importlib
import json
import os
import struct
import sys

try:
    import torch
    from torch import nn
except ImportError:
    print('torch is not installed (apt-get install python3-torch libopenblas0-pthread)', file=sys.stderr)
    sys.exit(3)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import authors_models  # noqa: E402

DTYPES = {'F32': torch.float32, 'F64': torch.float64, 'I64': torch.int64, 'I32': torch.int32, 'F16': torch.float16}
CODES = {v: k for k, v in DTYPES.items()}


def read_safetensors(path):
    with open(path, 'rb') as f:
        data = f.read()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == '__metadata__':
            continue
        begin, end = e['data_offsets']
        raw = bytearray(data[8 + n + begin:8 + n + end])
        t = torch.frombuffer(raw, dtype=DTYPES[e['dtype']]) if raw else torch.empty(0, dtype=DTYPES[e['dtype']])
        out[name] = t.reshape(e['shape']).clone()
    return out


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        b = t.detach().contiguous().numpy().tobytes()
        header[name] = {'dtype': CODES[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header).encode()
    h += b' ' * ((8 - (8 + len(h)) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))


class RecurrentClassifier(nn.Module):
    """torch.nn.LSTM / torch.nn.RNN under 'encoder' and a Linear 'head' on the last step: the module
    tree that indrnn's 'pytorch' names describe for an LSTM or RNN sequence model."""

    def __init__(self, arch, p):
        super().__init__()
        if arch == 'lstm':
            self.encoder = nn.LSTM(p['input_size'], p['hidden_size'], p['num_layers'])
        else:
            self.encoder = nn.RNN(p['input_size'], p['hidden_size'], p['num_layers'], nonlinearity=p['nonlinearity'])
        self.head = nn.Linear(p['hidden_size'], p['num_classes'])

    def forward(self, x):
        out, _ = self.encoder(x)
        return self.head(out[-1])


class AuthorsClasses:
    """The authors' classifiers imported from a checkout of IndRNN_pytorch. Their model files read
    `args` and `U_bound` from __main__ and import the CUDA recurrence; both are provided here."""

    def __init__(self, path):
        self.path = os.path.abspath(path)
        for f in ('Indrnn_plainnet.py', 'Indrnn_residualnet_preact.py', 'Indrnn_densenet.py', 'utils.py', 'IndRNN_onlyrecurrent.py'):
            if not os.path.exists(os.path.join(self.path, f)):
                sys.exit('--authors-dir %s has no %s (give the root of an IndRNN_pytorch checkout)' % (path, f))
        sys.path.insert(0, self.path)
        import __main__
        self.args = argparse.Namespace(dropout=0.0, dropout_sec=0.0, dropout_trans=0.0, dropout_first=0.0, dropout_last=0.0,
                                       MAG=2, seq_len=10, u_lastlayer_ini=False, add_last_layer=True, bn_location='bn_after',
                                       hidden_size=1, num_layers=1, num_blocks=1)
        __main__.args, __main__.parser, __main__.U_bound = self.args, None, 1.0
        sys.modules['cuda_IndRNN_onlyrecurrent'] = importlib.import_module('IndRNN_onlyrecurrent')

    def build(self, arch, p):
        a = self.args
        a.bn_location = p['bn_location']
        if arch == 'plain':
            a.hidden_size, a.num_layers = p['hidden_size'], p['num_layers']
            return importlib.import_module('Indrnn_plainnet').stackedIndRNN_encoder(p['input_size'], p['num_classes'])
        if arch == 'res':
            a.hidden_size, a.num_blocks = p['hidden_size'], p['num_blocks']
            return importlib.import_module('Indrnn_residualnet_preact').ResidualNet(p['input_size'], p['num_classes'])
        a.add_last_layer = p['add_last_layer']
        return importlib.import_module('Indrnn_densenet').DenseNet(
            p['input_size'], p['num_classes'], growth_rate=p['growth_rate'], block_config=tuple(p['block_config']),
            num_init_features=p['num_init_features'], bn_size=p['bn_size'])


def rel_diff(actual, expected):
    scale = expected.abs().max().item()
    diff = (actual - expected).abs().max().item()
    return diff / scale if scale > 0 else diff


def load(args):
    with open(os.path.join(args.dir, 'manifest.json')) as f:
        manifest = json.load(f)
    authors = AuthorsClasses(args.authors_dir) if args.authors_dir else None
    for case in manifest['cases']:
        if case['scheme'] == 'authors':
            if authors:
                model, impl = authors.build(case['arch'], case['params']), "authors' files"
            else:
                model, impl = authors_models.build(case['arch'], case['params'], nested=case.get('nested', False)), 'clean-room (authors_models.py)'
        else:
            model, impl = RecurrentClassifier(case['arch'], case['params']), 'torch.nn.%s' % case['arch'].upper()
        weights = read_safetensors(os.path.join(args.dir, case['weights']))
        model.load_state_dict(weights, strict=True)
        model.eval()
        io = read_safetensors(os.path.join(args.dir, case['io']))
        with torch.no_grad():
            logits = model(io['x'])
        print(json.dumps({'name': case['name'], 'scheme': case['scheme'], 'strict': True, 'implementation': impl,
                          'tensors': len(weights), 'max_rel_diff': rel_diff(logits, io['logits'])}), flush=True)


def randomize(model, gen):
    """Random BN affine parameters and statistics (so eval BN is not the identity) and u in (0, 1)."""
    with torch.no_grad():
        for name, m in model.named_modules():
            if isinstance(m, nn.BatchNorm1d):
                m.weight.uniform_(0.5, 1.5, generator=gen)
                m.bias.normal_(0, 0.2, generator=gen)
                m.running_mean.normal_(0, 0.3, generator=gen)
                m.running_var.uniform_(0.3, 2, generator=gen)
                m.num_batches_tracked.fill_(123)
        for name, p in model.named_parameters():
            if name.endswith('weight_hh') and p.dim() == 1:
                p.uniform_(0, 1, generator=gen)


def indrnn_config(arch, p):
    """The indrnn model config of the same architecture (for `indrnn import --config`)."""
    bn = {'bn': 'sequence', 'bnPosition': 'before' if p.get('bn_location') == 'bn_before' else 'after'}
    if arch == 'plain':
        enc = {'type': 'indrnn', 'inputSize': p['input_size'], 'hiddenSize': p['hidden_size'], 'numLayers': p['num_layers'], **bn}
    elif arch == 'res':
        enc = {'type': 'res-indrnn', 'inputSize': p['input_size'], 'hiddenSize': p['hidden_size'], 'numBlocks': p['num_blocks'], **bn}
    elif arch == 'dense':
        enc = {'type': 'dense-indrnn', 'inputSize': p['input_size'], 'growthRate': p['growth_rate'], 'blockConfig': p['block_config'],
               'firstSize': p['num_init_features'], 'bottleneckFactor': p['bn_size'], 'addLastLayer': p['add_last_layer'], **bn}
    else:
        enc = {'type': arch, 'inputSize': p['input_size'], 'hiddenSize': p['hidden_size'], 'numLayers': p['num_layers']}
        if arch == 'rnn':
            enc['nonlinearity'] = p['nonlinearity']
    return {'format': 'indrnn-model', 'version': 1, 'config': {'kind': 'sequence', 'outputSize': p['num_classes'], 'encoder': enc}}


SAVE_CASES = [
    ('plain-bn-after', 'authors', 'plain', {'input_size': 3, 'hidden_size': 8, 'num_layers': 3, 'num_classes': 5, 'bn_location': 'bn_after'}, True),
    ('res-bn-before', 'authors', 'res', {'input_size': 3, 'hidden_size': 6, 'num_blocks': 2, 'num_classes': 4, 'bn_location': 'bn_before'}, False),
    ('dense-bn-after', 'authors', 'dense', {'input_size': 3, 'num_classes': 4, 'growth_rate': 2, 'block_config': [2, 1], 'num_init_features': 4,
                                            'bn_size': 2, 'add_last_layer': True, 'bn_location': 'bn_after'}, False),
    ('lstm', 'pytorch', 'lstm', {'input_size': 3, 'hidden_size': 5, 'num_layers': 2, 'num_classes': 3}, True),
]


def save(args):
    os.makedirs(args.dir, exist_ok=True)
    cases = []
    for i, (name, scheme, arch, p, legacy_too) in enumerate(SAVE_CASES):
        torch.manual_seed(1000 + i)
        gen = torch.Generator().manual_seed(2000 + i)
        model = authors_models.build(arch, p) if scheme == 'authors' else RecurrentClassifier(arch, p)
        randomize(model, gen)
        model.eval()
        x = torch.randn(9, 4, p['input_size'], generator=gen)
        with torch.no_grad():
            logits = model(x)
        files = ['%s.pth' % name]
        torch.save(model.state_dict(), os.path.join(args.dir, files[0]))
        keyed = []
        if legacy_too:
            files.append('%s.legacy.pth' % name)
            torch.save(model.state_dict(), os.path.join(args.dir, files[1]), _use_new_zipfile_serialization=False)
            # a training checkpoint dict, whose other entries hold tensors too, read with --key state_dict
            keyed.append('%s.checkpoint.legacy.pth' % name)
            torch.save({'epoch': 3, 'state_dict': model.state_dict(), 'optimizer': {'step': torch.ones(7, dtype=torch.float64)}},
                       os.path.join(args.dir, keyed[0]), _use_new_zipfile_serialization=False)
        write_safetensors(os.path.join(args.dir, '%s.io.safetensors' % name), {'x': x, 'logits': logits})
        with open(os.path.join(args.dir, '%s.model.json' % name), 'w') as f:
            json.dump(indrnn_config(arch, p), f, indent=2)
        cases.append({'name': name, 'scheme': scheme, 'arch': arch, 'files': files, 'keyed': keyed, 'io': '%s.io.safetensors' % name,
                      'config': '%s.model.json' % name})
    with open(os.path.join(args.dir, 'manifest.json'), 'w') as f:
        json.dump({'torch': torch.__version__, 'cases': cases}, f, indent=2)
    print(json.dumps({'saved': len(cases), 'torch': torch.__version__}))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest='command', required=True)
    p_load = sub.add_parser('load')
    p_load.add_argument('dir')
    p_load.add_argument('--authors-dir')
    p_save = sub.add_parser('save')
    p_save.add_argument('dir')
    args = parser.parse_args()
    torch.set_num_threads(1)
    {'load': load, 'save': save}[args.command](args)


if __name__ == '__main__':
    main()
