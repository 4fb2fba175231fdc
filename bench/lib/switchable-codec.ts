// The payload codec with its encryption switchable at run time, so one bench run can time warm
// invokes with and without it, interleaved, on the same api, worker and Temporal server. Off,
// encode hands payloads back unchanged (the SDK still calls the codec: that call is not what is
// measured); decode always runs, and passes payloads that are not encrypted through.
import type { PayloadCodec } from '@temporalio/common';

export interface SwitchableCodec extends PayloadCodec {
  encrypt: boolean;
}

export function switchableCodec(inner: PayloadCodec): SwitchableCodec {
  const codec: SwitchableCodec = {
    encrypt: true,
    encode: (payloads, context) => (codec.encrypt ? inner.encode(payloads, context) : Promise.resolve(payloads)),
    decode: (payloads, context) => inner.decode(payloads, context),
  };
  return codec;
}
