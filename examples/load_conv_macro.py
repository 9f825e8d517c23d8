# Rebuild a toy-conv-macro network exported by `tanglenas export RUN_DIR` in plain
# PyTorch (no tanglenas, no safetensors package) and classify images with it.
# usage: python3 load_conv_macro.py EXPORT_DIR [INPUT.f32 OUTPUT.f32]
import json, struct, sys
import torch, torch.nn as nn, torch.nn.functional as F

def load_safetensors(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    dtypes = {'F32': torch.float32, 'F64': torch.float64, 'I64': torch.int64}
    out = {}
    for name, t in header.items():
        if name == '__metadata__':
            continue
        a, b = t['data_offsets']
        out[name] = torch.frombuffer(bytearray(data[a:b]), dtype=dtypes[t['dtype']]).reshape(t['shape'])
    return out

class ConvMacro(nn.Module):
    def __init__(self, channels, kernels):
        super().__init__()
        cin = [3] + channels
        for i in range(4):
            self.add_module(f'conv{i + 1}', nn.Conv2d(cin[i], channels[i], kernels[i], padding=(kernels[i] - 1) // 2))
        self.conv5 = nn.Conv2d(channels[3], 256, 7, padding=2)
        for i, (a, b) in enumerate([(9216, 256), (256, 128), (128, 64), (64, 10)]):
            self.add_module(f'fc{i + 1}', nn.Linear(a, b))

    def forward(self, x):  # eval mode: the two Dropout2d layers are the identity
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.max_pool2d(F.relu(F.relu(self.conv3(x))), 2)
        x = self.conv5(F.relu(self.conv4(x))).flatten(1)
        x = F.relu(self.fc3(F.relu(self.fc2(F.relu(self.fc1(x))))))
        return self.fc4(x)

def load(export_dir):
    card = json.load(open(f'{export_dir}/model.json'))
    assert card['space'] == 'toy-conv-macro', card['space']
    a = card['architecture']
    net = ConvMacro([a[f'channels_{i}'] for i in range(1, 5)], [a[f'kernel_{i}'] for i in range(1, 5)])
    net.load_state_dict(load_safetensors(f'{export_dir}/model.safetensors'))
    return net.eval(), card

def normalise(images_uint8, card):
    # images: N x 3 x 32 x 32 uint8, as the CIFAR-10 binary files hold them
    norm = card['input']['normalisation']
    x = images_uint8.float() * norm['scale']
    return (x - torch.tensor(norm['mean']).view(1, -1, 1, 1)) / torch.tensor(norm['std']).view(1, -1, 1, 1)

if __name__ == '__main__':
    net, card = load(sys.argv[1])
    print(f"{card['benchmark_key']}: {sum(p.numel() for p in net.parameters())} parameters, classes {card['classes']}")
    if len(sys.argv) == 4:  # raw float32 inputs (already normalised) -> raw float32 logits
        x = torch.frombuffer(bytearray(open(sys.argv[2], 'rb').read()), dtype=torch.float32).reshape(-1, *card['input']['shape'])
        with torch.no_grad():
            open(sys.argv[3], 'wb').write(net(x).numpy().tobytes())
