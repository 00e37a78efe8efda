// GOV.UK Frontend's page-start script, served as a file so the Content Security Policy needs no
// 'unsafe-inline' (settings.CONTENT_SECURITY_POLICY). It must run before the body renders, so it
// is loaded without async or defer at the top of <body>.
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');
