//! Reading a method file: the TOML text parsed and checked by [`careblock_method::Method::from_toml`].

use std::path::Path;

use careblock_method::Method;

use crate::IoError;

/// Reads and checks a method file (syntax, keys, weights, expressions).
pub fn read_method(path: &Path) -> Result<Method, IoError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| IoError::io(&name, e))?;
    Method::from_toml(&name, &text).map_err(|e| IoError::Method { source: Box::new(e) })
}

/// Reads a method file and checks it without stopping at the first problem: the method (if
/// its syntax and types are right) with every problem [`Method::problems`] finds.
pub fn read_method_problems(path: &Path) -> Result<(Method, Vec<careblock_method::MethodError>), IoError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| IoError::io(&name, e))?;
    let method = Method::parse(&name, &text).map_err(|e| IoError::Method { source: Box::new(e) })?;
    let problems = method.problems();
    Ok((method, problems))
}
