"""PyTorch modules with the module tree (and so the state_dict names) of the IndRNN authors'
IndRNN_pytorch classifiers -- stackedIndRNN_encoder (plain), ResidualNet (pre-activation residual)
and DenseNet -- and their math at inference:

    IndRNN layer:   h_t = relu(W x_t + b + u * h_{t-1}),  h_0 = 0           (u: a vector)
    BN:             BatchNorm1d over channels, statistics over time and batch (sequence-wise)
    head:           Linear on the last time step

Written from the parameter names listed in shared/reference/indrnn-paper-and-code.md (appendix) and
the papers' equations, not from the authors' code, so the interop check does not depend on their
files. Names produced (e.g. plain): DIs.{i}.fc.{weight,bias}, RNNs.{i}.indrnn1.weight_hh (or
RNNs.{i}.indrnn1.indrnn_cell.weight_hh with nested=True), RNNs.{i}.norm1.bn.{weight,bias,running_mean,
running_var,num_batches_tracked}, classifier.{weight,bias}. Inputs are time-major [T, B, F].
To check against the authors' own classes instead, see check.py --authors-dir.
"""
import torch
from torch import nn


class LinearOverTime(nn.Module):
    """W x + b for every step at once; parameters under .fc (as the authors' Linear_overtime_module)."""

    def __init__(self, inputs, outputs):
        super().__init__()
        self.fc = nn.Linear(inputs, outputs)

    def forward(self, x):
        steps, batch, _ = x.shape
        return self.fc(x.reshape(steps * batch, -1)).reshape(steps, batch, -1)


class SequenceBatchNorm(nn.Module):
    """BatchNorm1d with statistics over time and batch; parameters under .bn."""

    def __init__(self, channels):
        super().__init__()
        self.bn = nn.BatchNorm1d(channels)

    def forward(self, x):
        # [T, B, C] -> [B, C, T] for BatchNorm1d, and back
        return self.bn(x.permute(1, 2, 0)).permute(2, 0, 1)


def recur(z, u):
    h = torch.zeros_like(z[0])
    out = []
    for z_t in z:
        h = torch.relu(z_t + u * h)
        out.append(h)
    return torch.stack(out)


class Recurrence(nn.Module):
    """The recurrent weight u directly on the module: <path>.weight_hh."""

    def __init__(self, hidden):
        super().__init__()
        self.weight_hh = nn.Parameter(torch.empty(hidden).uniform_(0, 1))

    def forward(self, z):
        return recur(z, self.weight_hh)


class Cell(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.weight_hh = nn.Parameter(torch.empty(hidden).uniform_(0, 1))


class NestedRecurrence(nn.Module):
    """u one level deeper: <path>.indrnn_cell.weight_hh."""

    def __init__(self, hidden):
        super().__init__()
        self.indrnn_cell = Cell(hidden)

    def forward(self, z):
        return recur(z, self.indrnn_cell.weight_hh)


class IndRNNwithBN(nn.Sequential):
    """BN before or after the recurrence; the BN is norm1 in both cases, the recurrence indrnn1."""

    def __init__(self, hidden, bn_location, nested):
        super().__init__()
        recurrence = NestedRecurrence(hidden) if nested else Recurrence(hidden)
        if bn_location == 'bn_before':
            self.add_module('norm1', SequenceBatchNorm(hidden))
            self.add_module('indrnn1', recurrence)
        else:
            self.add_module('indrnn1', recurrence)
            self.add_module('norm1', SequenceBatchNorm(hidden))


class PlainNet(nn.Module):
    """DIs (projections), RNNs (recurrences with BN), classifier on the last step."""

    def __init__(self, input_size, hidden_size, num_layers, num_classes, bn_location, nested=False):
        super().__init__()
        self.DIs = nn.ModuleList([LinearOverTime(input_size if i == 0 else hidden_size, hidden_size) for i in range(num_layers)])
        self.RNNs = nn.ModuleList([IndRNNwithBN(hidden_size, bn_location, nested) for _ in range(num_layers)])
        self.classifier = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        for projection, recurrence in zip(self.DIs, self.RNNs):
            x = recurrence(projection(x))
        return self.classifier(x[-1])


class ResidualBlock(nn.Sequential):
    """Pre-activation block: x + fc2(rec2(fc1(rec1(x))))."""

    def __init__(self, hidden, bn_location, nested):
        super().__init__()
        self.add_module('IndRNNwithBN1', IndRNNwithBN(hidden, bn_location, nested))
        self.add_module('fc1', LinearOverTime(hidden, hidden))
        self.add_module('IndRNNwithBN2', IndRNNwithBN(hidden, bn_location, nested))
        self.add_module('fc2', LinearOverTime(hidden, hidden))

    def forward(self, x):
        return x + super().forward(x)


class ResidualNet(nn.Module):
    def __init__(self, input_size, hidden_size, num_blocks, num_classes, bn_location, nested=False):
        super().__init__()
        self.features = nn.Sequential()
        self.features.add_module('fc0', LinearOverTime(input_size, hidden_size))
        for i in range(num_blocks):
            self.features.add_module('resblock%d' % (i + 1), ResidualBlock(hidden_size, bn_location, nested))
        self.features.add_module('IndRNNwithBN_last', IndRNNwithBN(hidden_size, bn_location, nested))
        self.classifier = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        return self.classifier(self.features(x)[-1])


class DenseLayer(nn.Sequential):
    """Bottleneck (bn_size * k) then k new features, concatenated to the input."""

    def __init__(self, width, growth_rate, bn_size, bn_location, nested):
        super().__init__()
        self.add_module('fc1', LinearOverTime(width, bn_size * growth_rate))
        self.add_module('IndRNNwithBN1', IndRNNwithBN(bn_size * growth_rate, bn_location, nested))
        self.add_module('fc2', LinearOverTime(bn_size * growth_rate, growth_rate))
        self.add_module('IndRNNwithBN2', IndRNNwithBN(growth_rate, bn_location, nested))

    def forward(self, x):
        return torch.cat([x, super().forward(x)], 2)


class Transition(nn.Sequential):
    def __init__(self, width, out, bn_location, nested):
        super().__init__()
        self.add_module('fc', LinearOverTime(width, out))
        self.add_module('IndRNNwithBN', IndRNNwithBN(out, bn_location, nested))


class DenseNet(nn.Module):
    def __init__(self, input_size, num_classes, growth_rate, block_config, num_init_features, bn_size,
                 add_last_layer, bn_location, nested=False):
        super().__init__()
        self.features = nn.Sequential()
        self.features.add_module('fc0', LinearOverTime(input_size, num_init_features))
        self.features.add_module('IndRNNwithBN0', IndRNNwithBN(num_init_features, bn_location, nested))
        width = num_init_features
        for i, layers in enumerate(block_config):
            block = nn.Sequential()
            for j in range(layers):
                block.add_module('denselayer%d' % (j + 1), DenseLayer(width + j * growth_rate, growth_rate, bn_size, bn_location, nested))
            self.features.add_module('denseblock%d' % (i + 1), block)
            width += layers * growth_rate
            if i != len(block_config) - 1:
                self.features.add_module('transition%d' % (i + 1), Transition(width, width // 2, bn_location, nested))
                width //= 2
        if add_last_layer:
            self.features.add_module('lastlayer', Transition(width, width // 2, bn_location, nested))
            width //= 2
        self.classifier = nn.Linear(width, num_classes)

    def forward(self, x):
        return self.classifier(self.features(x)[-1])


def build(arch, p, nested=False):
    """One of the three nets from a parameter dict (the keys check.py's manifest uses)."""
    if arch == 'plain':
        return PlainNet(p['input_size'], p['hidden_size'], p['num_layers'], p['num_classes'], p['bn_location'], nested)
    if arch == 'res':
        return ResidualNet(p['input_size'], p['hidden_size'], p['num_blocks'], p['num_classes'], p['bn_location'], nested)
    if arch == 'dense':
        return DenseNet(p['input_size'], p['num_classes'], p['growth_rate'], tuple(p['block_config']), p['num_init_features'],
                        p['bn_size'], p['add_last_layer'], p['bn_location'], nested)
    raise ValueError('unknown architecture %r' % arch)
