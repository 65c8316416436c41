// DriftController (drift_controller.hpp) for packages/dataplane/src/drift-controller.ts.
#include "drift_controller.hpp"
#include "export.hpp"

using syfala::DriftController;

SYFALA_WASM_CONSTANT(drift_loop_hz, syfala::kDriftLoopHz)
SYFALA_WASM_CONSTANT(drift_acquire_seconds, syfala::kDriftAcquireSeconds)
SYFALA_WASM_CONSTANT(drift_max_ppm, syfala::kMaxDriftPpm)
SYFALA_WASM_CONSTANT(drift_max_proportional_ppm, syfala::kMaxProportionalPpm)

SYFALA_WASM_EXPORT(drift_controller_new)
DriftController* drift_controller_new(double sample_rate, double setpoint_frames, double loop_hz,
                                      double acquire_seconds) {
  return new DriftController(sample_rate, setpoint_frames, loop_hz, acquire_seconds);
}

SYFALA_WASM_DELETE(drift_controller_free, DriftController)

SYFALA_WASM_EXPORT(drift_controller_ratio)
double drift_controller_ratio(const DriftController* controller) { return controller->ratio(); }

SYFALA_WASM_EXPORT(drift_controller_drift_ppm)
double drift_controller_drift_ppm(const DriftController* controller) {
  return controller->drift_ppm();
}

SYFALA_WASM_EXPORT(drift_controller_set_setpoint)
void drift_controller_set_setpoint(DriftController* controller, double frames) {
  controller->set_setpoint_frames(frames);
}

SYFALA_WASM_EXPORT(drift_controller_update)
double drift_controller_update(DriftController* controller, double fill_frames, double frames) {
  return controller->update(fill_frames, frames);
}

SYFALA_WASM_EXPORT(drift_controller_restart)
void drift_controller_restart(DriftController* controller) { controller->restart(); }
