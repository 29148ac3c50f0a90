export { ApiError, invalidInput, badRequest, unauthorized, forbidden, notFound, conflict, type ErrorStatus } from './errors.js';
export { buildOpenApi, type RouteSpec, type ApiDescription } from './openapi.js';
