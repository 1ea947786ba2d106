# Reference PENet backbone in PyTorch (structure of the PENet paper's code: in_conv + max_pool, four encoders of
# PENet bottlenecks with GroupNorm, LeakyReLU and squeeze-excitation) to check ttl-torch's C++ PENet against:
# writes a random-weight state dict (eval mode, no classifier), an input and the backbone's output map.
# usage: python3 penet_reference.py OUT_DIR
import sys
import torch
import torch.nn as nn


class SEBlock(nn.Module):
    def __init__(self, channels, reduction=16):
        super().__init__()
        self.squeeze = nn.AdaptiveAvgPool3d(1)
        self.excite = nn.Sequential(nn.Linear(channels, channels // reduction), nn.LeakyReLU(inplace=True),
                                    nn.Linear(channels // reduction, channels), nn.Sigmoid())

    def forward(self, x):
        z = self.excite(self.squeeze(x).flatten(1))
        return x * z.view(x.size(0), x.size(1), 1, 1, 1)


class Bottleneck(nn.Module):
    def __init__(self, in_channels, channels, cardinality=32, stride=1):
        super().__init__()
        mid, out = cardinality * (channels // cardinality), channels * 2
        self.down_sample = None
        if stride != 1 or in_channels != out:
            self.down_sample = nn.Sequential(nn.Conv3d(in_channels, out, 1, stride=stride, bias=False), nn.GroupNorm(out // 16, out))
        self.conv1 = nn.Conv3d(in_channels, mid, 1, bias=False)
        self.norm1 = nn.GroupNorm(mid // 16, mid)
        self.conv2 = nn.Conv3d(mid, mid, 3, stride=stride, padding=1, groups=cardinality, bias=False)
        self.norm2 = nn.GroupNorm(mid // 16, mid)
        self.conv3 = nn.Conv3d(mid, out, 1, bias=False)
        self.norm3 = nn.GroupNorm(out // 16, out)
        self.se_block = SEBlock(out)
        self.act = nn.LeakyReLU()

    def forward(self, x):
        skip = x if self.down_sample is None else self.down_sample(x)
        y = self.act(self.norm1(self.conv1(x)))
        y = self.act(self.norm2(self.conv2(y)))
        y = self.se_block(self.norm3(self.conv3(y)))
        return self.act(y + skip)


class Encoder(nn.Module):
    def __init__(self, in_channels, channels, blocks, stride):
        super().__init__()
        self.penet_blocks = nn.Sequential(*[Bottleneck(in_channels if i == 0 else channels * 2, channels, stride=stride if i == 0 else 1)
                                            for i in range(blocks)])

    def forward(self, x):
        return self.penet_blocks(x)


class PENetBackbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.in_conv = nn.Sequential(nn.Conv3d(3, 64, 7, stride=(1, 2, 2), padding=3, bias=False), nn.GroupNorm(4, 64), nn.LeakyReLU())
        self.max_pool = nn.MaxPool3d(3, stride=2, padding=1)
        channels, encoders = 64, []
        for i, blocks in enumerate([3, 4, 6, 3]):
            encoders.append(Encoder(channels, 128 * 2 ** i, blocks, 1 if i == 0 else 2))
            channels = 256 * 2 ** i
        self.encoders = nn.ModuleList(encoders)

    def forward(self, x):
        x = self.max_pool(self.in_conv(x))
        for encoder in self.encoders:
            x = encoder(x)
        return x


torch.manual_seed(0)
net = PENetBackbone().eval()
with torch.no_grad():
    for name, p in net.named_parameters():  # non-trivial GroupNorm affine parameters too
        if 'norm' in name or 'down_sample.1' in name or 'in_conv.1' in name:
            p.copy_(torch.rand_like(p) + 0.5 if name.endswith('weight') else torch.randn_like(p) * 0.1)
    x = torch.randn(1, 3, 8, 48, 40)
    y = net(x)
torch.save(net.state_dict(), f'{sys.argv[1]}/penet.pth')
torch.save({'input': x, 'output': y}, f'{sys.argv[1]}/penet-io.pth')
print(sum(p.numel() for p in net.parameters()))
