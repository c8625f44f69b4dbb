'use strict';
// The admin's record forms: lot pickers that search the lots of the organisation chosen on the
// form (select2 from Django's admin, like its autocomplete fields), also in rows added in the
// page, and the furnaces that organisation used as suggestions for the furnace field.
{
    const $ = django.jQuery;
    const organisation = () => document.getElementById('id_organisation');

    function lotPicker(element) {
        $(element).select2({
            ajax: {
                url: element.dataset.url,
                delay: 250,
                data: (params) => ({
                    term: params.term,
                    page: params.page,
                    kinds: element.dataset.kinds,
                    organisation: organisation() ? organisation().value : ''
                })
            }
        });
    }

    function furnaceSuggestions() {
        const furnace = document.getElementById('id_furnace');
        if (furnace && organisation()) {
            furnace.setAttribute('list', 'furnaces-' + organisation().value);
        }
    }

    $(function() {
        $('.lot-picker').not('[name*=__prefix__]').each((index, element) => lotPicker(element));
        furnaceSuggestions();
        if (organisation()) {
            organisation().addEventListener('change', furnaceSuggestions);
        }
    });

    document.addEventListener('formset:added', (event) => {
        $(event.target).find('.lot-picker').each((index, element) => lotPicker(element));
    });
}
