"""st_module.py -- a torch.nn.Module equal to sentence-transformers'
(BertModel -> Pooling -> [Normalize]) for the peer benchmarks.

Not run directly; imported by bench/peers/export_onnx.py and torch_bench.py.
Weights are loaded with tests/ref/bml_model.py (HF layout, model.safetensors
read by hand); the forward mirrors HF BertModel (post-LN, exact-erf GELU,
additive finfo.min mask on padded keys) and sentence-transformers pooling on
padded batches (mean/sum over attention_mask, max with padded positions at
-1e9, cls = token 0) and F.normalize.  Inputs: input_ids [B,L] int64,
attention_mask [B,L] int64 (token_type_ids are all 0); output [B,D].
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '../../tests/ref'))
import bml_model  # noqa: E402  (first: sets OPENBLAS_CORETYPE)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


class Layer(nn.Module):
    def __init__(self, H, A, I, eps, act):
        super().__init__()
        self.A, self.dh, self.eps, self.act = A, H // A, eps, act
        self.q, self.k, self.v = nn.Linear(H, H), nn.Linear(H, H), nn.Linear(H, H)
        self.o = nn.Linear(H, H)
        self.ln1 = nn.LayerNorm(H, eps=eps)
        self.fc1 = nn.Linear(H, I)
        self.fc2 = nn.Linear(I, H)
        self.ln2 = nn.LayerNorm(H, eps=eps)

    def forward(self, h, add_mask):
        B, L, H = h.shape
        q = self.q(h).view(B, L, self.A, self.dh).transpose(1, 2)
        k = self.k(h).view(B, L, self.A, self.dh).transpose(1, 2)
        v = self.v(h).view(B, L, self.A, self.dh).transpose(1, 2)
        s = torch.matmul(q, k.transpose(-1, -2)) / (self.dh ** 0.5) + add_mask
        p = torch.softmax(s, dim=-1)
        c = torch.matmul(p, v).transpose(1, 2).reshape(B, L, H)
        h = self.ln1(self.o(c) + h)
        m = self.fc1(h)
        if self.act == 'gelu':
            m = F.gelu(m)
        elif self.act == 'relu':
            m = F.relu(m)
        else:
            m = F.gelu(m, approximate='tanh')
        return self.ln2(self.fc2(m) + h)


class BertST(nn.Module):
    def __init__(self, model_dir):
        super().__init__()
        ref = bml_model.load_model(model_dir, torch.float32)
        self.pool_modes, self.normalize = ref.pool_modes, ref.normalize
        if any(st[0] == 'dense' for st in ref.head):
            raise ValueError(f'{model_dir}: Dense modules are not in this peer module')
        H, A, I = ref.H, ref.A, ref.I
        self.word = nn.Embedding(ref.V, H)
        self.pos = nn.Embedding(ref.P, H)
        self.type0 = nn.Parameter(ref.type[0].clone())
        self.eln = nn.LayerNorm(H, eps=ref.eps)
        self.layers = nn.ModuleList([Layer(H, A, I, ref.eps, ref.act) for _ in range(ref.nl)])
        with torch.no_grad():
            self.word.weight.copy_(ref.word)
            self.pos.weight.copy_(ref.pos)
            self.eln.weight.copy_(ref.eln_w)
            self.eln.bias.copy_(ref.eln_b)
            for lay, w in zip(self.layers, ref.layers):
                for mod, nm in ((lay.q, 'attention.self.query'), (lay.k, 'attention.self.key'),
                                (lay.v, 'attention.self.value'), (lay.o, 'attention.output.dense'),
                                (lay.fc1, 'intermediate.dense'), (lay.fc2, 'output.dense'),
                                (lay.ln1, 'attention.output.LayerNorm'), (lay.ln2, 'output.LayerNorm')):
                    mod.weight.copy_(w[nm + '.weight'])
                    mod.bias.copy_(w[nm + '.bias'])
        self.eval()

    def forward(self, input_ids, attention_mask):
        L = input_ids.shape[1]
        h = self.word(input_ids) + self.pos.weight[:L].unsqueeze(0) + self.type0
        h = self.eln(h)
        mf = attention_mask.to(h.dtype)
        add_mask = ((1.0 - mf) * torch.finfo(h.dtype).min)[:, None, None, :]
        for lay in self.layers:
            h = lay(h, add_mask)
        m3 = mf.unsqueeze(-1)
        outs = []
        for mode in self.pool_modes:
            if mode == 'cls':
                outs.append(h[:, 0])
            elif mode == 'max':
                outs.append(torch.where(m3 > 0, h, torch.full_like(h, -1e9)).max(dim=1).values)
            else:
                s = (h * m3).sum(dim=1)
                n = m3.sum(dim=1).clamp(min=1e-9)
                outs.append(s / n if mode == 'mean' else s / torch.sqrt(n))
        e = outs[0] if len(outs) == 1 else torch.cat(outs, dim=1)
        if self.normalize:
            e = F.normalize(e, p=2.0, dim=1)
        return e


def batches(ids_list, batch, sort=True):
    """sentence-transformers encode() protocol: order by length, longest
    first (stable), cut into batches, pad each to its longest.
    Yields (indices, input_ids LongTensor [B,L], attention_mask [B,L])."""
    order = list(range(len(ids_list)))
    if sort:
        order.sort(key=lambda i: -len(ids_list[i]))
    for s in range(0, len(order), batch):
        idx = order[s:s + batch]
        L = max(len(ids_list[i]) for i in idx)
        t = torch.zeros(len(idx), L, dtype=torch.long)
        m = torch.zeros(len(idx), L, dtype=torch.long)
        for j, i in enumerate(idx):
            n = len(ids_list[i])
            t[j, :n] = torch.tensor(ids_list[i], dtype=torch.long)
            m[j, :n] = 1
        yield idx, t, m
