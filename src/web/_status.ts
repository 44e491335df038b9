/**
 * HTTP status codes and their reason phrases (`twisted.web.http` constants).
 * Private to src/web; re-exported by `http.ts`.
 *
 * @module
 */

/** 100 Continue. */
export const CONTINUE = 100;
/** 101 Switching Protocols. */
export const SWITCHING = 101;
/** 200 OK. */
export const OK = 200;
/** 201 Created. */
export const CREATED = 201;
/** 202 Accepted. */
export const ACCEPTED = 202;
/** 204 No Content. */
export const NO_CONTENT = 204;
/** 206 Partial Content. */
export const PARTIAL_CONTENT = 206;
/** 301 Moved Permanently. */
export const MOVED_PERMANENTLY = 301;
/** 302 Found. */
export const FOUND = 302;
/** 303 See Other. */
export const SEE_OTHER = 303;
/** 304 Not Modified. */
export const NOT_MODIFIED = 304;
/** 307 Temporary Redirect. */
export const TEMPORARY_REDIRECT = 307;
/** 308 Permanent Redirect. */
export const PERMANENT_REDIRECT = 308;
/** 400 Bad Request. */
export const BAD_REQUEST = 400;
/** 401 Unauthorized. */
export const UNAUTHORIZED = 401;
/** 403 Forbidden. */
export const FORBIDDEN = 403;
/** 404 Not Found. */
export const NOT_FOUND = 404;
/** 405 Method Not Allowed. */
export const NOT_ALLOWED = 405;
/** 408 Request Timeout. */
export const REQUEST_TIMEOUT = 408;
/** 412 Precondition Failed. */
export const PRECONDITION_FAILED = 412;
/** 413 Content Too Large. */
export const REQUEST_ENTITY_TOO_LARGE = 413;
/** 414 URI Too Long. */
export const REQUEST_URI_TOO_LONG = 414;
/** 416 Range Not Satisfiable. */
export const REQUESTED_RANGE_NOT_SATISFIABLE = 416;
/** 417 Expectation Failed. */
export const EXPECTATION_FAILED = 417;
/** 431 Request Header Fields Too Large. */
export const REQUEST_HEADER_FIELDS_TOO_LARGE = 431;
/** 500 Internal Server Error. */
export const INTERNAL_SERVER_ERROR = 500;
/** 501 Not Implemented. */
export const NOT_IMPLEMENTED = 501;
/** 503 Service Unavailable. */
export const SERVICE_UNAVAILABLE = 503;
/** 505 HTTP Version Not Supported. */
export const HTTP_VERSION_NOT_SUPPORTED = 505;

/** Status code -> reason phrase (`twisted.web.http.RESPONSES`). */
export const RESPONSES: Readonly<Record<number, string>> = {
  100: "Continue",
  101: "Switching Protocols",
  102: "Processing",
  200: "OK",
  201: "Created",
  202: "Accepted",
  203: "Non-Authoritative Information",
  204: "No Content",
  205: "Reset Content",
  206: "Partial Content",
  207: "Multi-Status",
  300: "Multiple Choices",
  301: "Moved Permanently",
  302: "Found",
  303: "See Other",
  304: "Not Modified",
  305: "Use Proxy",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  402: "Payment Required",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  407: "Proxy Authentication Required",
  408: "Request Timeout",
  409: "Conflict",
  410: "Gone",
  411: "Length Required",
  412: "Precondition Failed",
  413: "Request Entity Too Large",
  414: "Request-URI Too Long",
  415: "Unsupported Media Type",
  416: "Requested Range Not Satisfiable",
  417: "Expectation Failed",
  418: "I'm a teapot",
  422: "Unprocessable Entity",
  426: "Upgrade Required",
  428: "Precondition Required",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
  505: "HTTP Version Not Supported",
};
