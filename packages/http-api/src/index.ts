export {
  ApiError,
  invalidInput,
  badRequest,
  unauthorized,
  forbidden,
  notFound,
  conflict,
  type ErrorStatus,
  type RefusalStatus,
  type ErrorBody,
} from './errors.js';
export { buildOpenApi, type RouteSpec, type ApiDescription } from './openapi.js';
export {
  fastifyOptions,
  installErrorHandling,
  clientErrorHandler,
  clientErrorAnswer,
  fastifyErrorAnswer,
  MAX_PARAM_LENGTH,
  type ErrorAnswer,
  type ErrorLog,
  type ErrorHandlingOptions,
} from './fastify.js';
