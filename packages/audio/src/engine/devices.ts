import type { AudioDevice } from '../backend.js';
import { virtualBackend } from '../virtual/index.js';
import type { DeviceSpec } from './messages.js';

/** Opens the device a DeviceSpec names, inside the engine's worker. */
export function openDevice(spec: DeviceSpec): Promise<AudioDevice> {
  switch (spec.backend) {
    case 'virtual':
      return virtualBackend.open(spec.streams, spec.options);
  }
}
