/** ONNX export (browser-safe: returns bytes). */
export { exportOnnx, buildOnnxModel, ONNX_OPSET, ONNX_IR_VERSION, type OnnxExportOptions } from './export.js';
export { decodeModelProto, encodeModelProto, type ModelProto, type GraphProto, type NodeProto, type TensorProto } from './proto.js';
