// GOV.UK Frontend's components (error summary focus, password reveal, menus), as an ES
// module served from this site: the Content-Security-Policy allows no inline script.
import { initAll } from '/assets/govuk-frontend.min.js'

initAll()
