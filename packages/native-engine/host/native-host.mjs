// The engine process's entry, forked by native-host.ts. Plain JS beside src/ and dist/, so the
// same relative URL finds it from either, and it runs the built package.
import { runNativeHost } from '@syfala/native-engine';

runNativeHost();
